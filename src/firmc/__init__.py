"""firmc: compile published research models (HS3, pyhf, amplitude JSON) into verified code."""

__version__ = "0.1.0"
