using System.Diagnostics;

namespace DrLlm.Tests.Shared;

/// <summary>
/// Runs the real <c>drllm</c> (drllm.dll, copied next to every test assembly that references the CLI) as a process, the
/// way users and scripts call it: CLI contract tests check its stdout, stderr and exit code. Linked into each test project.
/// </summary>
public static class DrllmProcess
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drllm.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }
}
