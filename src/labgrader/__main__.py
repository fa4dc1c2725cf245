from labgrader.cli import main

raise SystemExit(main())
