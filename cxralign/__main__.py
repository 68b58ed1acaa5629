"""``python -m cxralign`` (and ``torchrun -m cxralign eval ...``): the console script's entry point."""

from cxralign.cli import main

if __name__ == "__main__":
    main()
