"""`python -m helpline` is the `helpline` command."""

from helpline.cli import main

main()
