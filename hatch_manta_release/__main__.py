from hatch_manta_release.cli import main

main()
