from hatch_manta_release.entry import main

main()
