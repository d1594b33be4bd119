from novaevo.cli import main

main()
