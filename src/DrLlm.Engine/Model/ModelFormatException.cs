namespace DrLlm.Engine.Model;

/// <summary>
/// A checkpoint, config or path that cannot be used. The message always names the file (or argument),
/// the field or tensor, and what was expected, so the CLI can print it as one line.
/// </summary>
public sealed class ModelFormatException(string message, Exception? inner = null) : Exception(message, inner);
