"""Caseway: BPMN workflow orchestration for municipal social services."""

__version__ = "0.1.0"
