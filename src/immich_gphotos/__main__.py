from immich_gphotos.entry import main

if __name__ == "__main__":
    main()
