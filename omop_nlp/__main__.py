from omop_nlp.cli import main

main()
