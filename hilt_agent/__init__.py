"""HILT's zero-code agent: ``HILT_ENABLED=1 python app.py`` or ``hilt-agent python app.py``.

The ``hilt.pth`` / ``hilt.start`` files installed in site-packages call :func:`hilt_agent._gate.run`
at every interpreter start; it returns at once unless ``HILT_ENABLED`` is true. See ``docs/agent.md``.
"""
