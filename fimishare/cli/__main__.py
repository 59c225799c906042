from fimishare.cli import main

main()
