"""itpark: infrastructure as code for Vietnam's concentrated IT parks and provincial government clouds."""

__version__ = "0.1.0"
