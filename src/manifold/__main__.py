"""``python -m manifold``."""

from manifold.cli import main

raise SystemExit(main())
