"""ONNX export: ``shinsou.onnx.export(model, example_input, "model.onnx")`` traces the model on
the example input and writes the ONNX graph of what ran (see ``docs/onnx.md``). Needs the
``onnx`` package (the ``[onnx]`` extra: onnx and onnxruntime, to run the file)."""

from .export import DEFAULT_OPSET, OnnxExportError, export  # noqa: F401

__all__ = ["export", "OnnxExportError", "DEFAULT_OPSET"]
