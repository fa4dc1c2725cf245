from labgrader.launcher import main

raise SystemExit(main())
