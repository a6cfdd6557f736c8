"""psirt: a PSIRT workbench for makers of health software and medical devices."""

__version__ = "0.1.0"
