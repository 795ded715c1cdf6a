"""One-Shot RLVR engine: the tensor worker behind the run controller (see engine/PROTOCOL.md)."""

__version__ = "0.1.0"
