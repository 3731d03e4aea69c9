from salesplan.cli import main

main()
