"""forecastr: recurrent time-series forecasting from CSV, with torch-free ONNX inference."""

__version__ = "0.1.0"
