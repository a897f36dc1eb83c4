from jiceng.cli import main

main()
