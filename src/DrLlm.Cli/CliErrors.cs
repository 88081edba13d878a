using DrLlm.Engine.Model;

namespace DrLlm.Cli;

/// <summary>
/// Runs a command body and turns the errors users can cause (bad files, bad arguments, missing libraries) into one line on
/// stderr and exit code 1, without a stack trace. Anything else is a bug and keeps its trace.
/// </summary>
public static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is ModelFormatException or ArgumentException or FileNotFoundException
                                      or DirectoryNotFoundException or DllNotFoundException or IOException
                                      or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Parses "1,2,3" into ints, naming <paramref name="option"/> and the bad item on failure.</summary>
    public static int[] ParseIntList(string text, string option)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: expected a comma-separated list of integers, got '{text}'");
        var r = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out r[i]))
                throw new ArgumentException($"{option}: item {i} ('{parts[i]}') is not an integer");
        return r;
    }
}
