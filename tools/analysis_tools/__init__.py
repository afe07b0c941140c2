"""Measurement tools (FLOPs, speed, memory, token studies); their shared code is ``helpers``."""
