"""``python -m aibom``: the ``aibom`` command line."""

from ._cli import main

if __name__ == "__main__":
    main()
