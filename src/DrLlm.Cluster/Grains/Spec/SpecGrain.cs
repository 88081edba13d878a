using DrLlm.Cluster.Spec;
using DrLlm.Tasks;
using Orleans.Concurrency;

namespace DrLlm.Cluster.Grains.Spec;

/// <summary>
/// <see cref="ISpecGrain"/>: <see cref="SweepSpec.Parse"/> for clients that do not carry the parser (the dashboard).
/// A stateless worker, so every silo answers locally and a check never waits for another silo.
/// </summary>
[StatelessWorker]
public sealed class SpecGrain : Grain, ISpecGrain
{
    public Task<SpecCheck> Check(string text, string source)
    {
        try
        {
            // read once: the tree as given (defaults left out) is also what the dashboard exports as YAML and imports again
            var given = SpecText.Parse(text, source);
            var spec = SweepSpec.FromTree(given, source);
            var json = spec.ToJson();
            return Task.FromResult(new SpecCheck([], spec.Name, json, SpecText.ToYaml(given), spec.ExperimentCount, spec.ExampleCount,
                given!.ToJsonString()));
        }
        catch (SpecException e) { return Task.FromResult(Failed([.. e.Errors])); }
        // what the spec names can fail to load in more ways than the parser maps (a task file that is unreadable)
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(Failed([$"{source}: {e.Message}"]));
        }
    }

    private static SpecCheck Failed(string[] errors) => new(errors, null, null, null, 0, 0);

    public Task<TaskFamilyInfo[]> Tasks() => Task.FromResult<TaskFamilyInfo[]>(
        [.. TaskRegistry.Families.Select(f => new TaskFamilyInfo(f.Name, f.InDomain, f.NeedsFile, f.Grading?.ToString(), f.Description))]);
}
