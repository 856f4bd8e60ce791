"""Allow ``python -m forecasting``."""

from forecasting.cli import main

if __name__ == "__main__":
    main()
