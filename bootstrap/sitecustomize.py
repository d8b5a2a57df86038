"""HILT's start-up hook for when hilt.pth is not processed; hilt-agent puts this folder on PYTHONPATH."""
import hilt_agent._chain
import hilt_agent._gate

hilt_agent._gate.run()
hilt_agent._chain.run_next_sitecustomize(__file__)
