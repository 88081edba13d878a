namespace DrLlm.Cluster.Grains;

/// <summary>
/// The sweep spec parser as a service of the cluster (a stateless worker on every silo): the dashboard, which knows
/// nothing of tasks or of the method, checks a spec here with the very parser and limits <c>drllm sweep launch</c>
/// uses, and asks which tasks exist. Nothing is written: a checked spec is launched as an intent in PostgreSQL
/// (<c>ClusterIntents</c>).
/// </summary>
public interface ISpecGrain : IGrainWithIntegerKey
{
    /// <summary>Parses and validates <paramref name="text"/> (YAML or JSON); <paramref name="source"/> names it in errors.</summary>
    Task<SpecCheck> Check(string text, string source);

    /// <summary>The task families a spec may name.</summary>
    Task<TaskFamilyInfo[]> Tasks();
}

/// <summary>
/// What a check found: the errors (each "SOURCE: field.path: what is wrong"), or the spec as the sweeps row stores it
/// (every default filled in, JSON), the spec as given in YAML (what an export writes) and in JSON (what a form is filled
/// from: only the fields it names), and its size.
/// </summary>
[GenerateSerializer]
public sealed record SpecCheck(
    string[] Errors,
    string? Name,
    string? NormalizedJson,
    string? Yaml,
    int Experiments,
    long Examples,
    string? GivenJson = null)
{
    public bool Ok => Errors.Length == 0;
}

/// <param name="NeedsFile">a benchmark loaded from a file ("NAME:FILE"); synthetic families need none</param>
/// <param name="Grading">how answers are graded (multiple-choice letter, math answer, extractive span), if fixed</param>
[GenerateSerializer]
public sealed record TaskFamilyInfo(
    string Name,
    bool InDomain,
    bool NeedsFile,
    string? Grading,
    string Description);
