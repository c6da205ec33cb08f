from hatch_manta_release.cli.main import main

main()
