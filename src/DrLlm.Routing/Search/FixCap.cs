namespace DrLlm.Routing.Search;

/// <summary>
/// The reference implementation's cap on wrong→right fixes among the examples routers train on (its train.py keeps at
/// most 30% of the kept examples as fixes; METHOD.md "What the reference code does"). A fix teaches a router to change
/// a wrong answer, which the base model's depth did not give; an uncapped label set can be dominated by them (the demo
/// model's mcq labels are 48% fixes). Fixes are kept in input order until the cap; no example with a correct default is
/// dropped.
/// </summary>
public static class FixCap
{
    /// <summary>The labelled results of <paramref name="results"/>, with fixes left out beyond <paramref name="maxFixShare"/> of those kept.</summary>
    public static List<ExampleSearchResult> Apply(IEnumerable<ExampleSearchResult> results, double maxFixShare)
    {
        if (maxFixShare is < 0 or > 1) throw new ArgumentException($"the share of fixes must be in [0, 1], got {maxFixShare}");
        var kept = results.Where(r => r.Labels is not null).ToList();
        int defaults = kept.Count(r => r.DefaultCorrect);
        // fixes / (defaults + fixes) ≤ share  ⇔  fixes ≤ share·defaults / (1 − share)
        long allowed = maxFixShare >= 1 ? long.MaxValue : (long)Math.Floor(maxFixShare * defaults / (1 - maxFixShare) + 1e-9);
        var capped = new List<ExampleSearchResult>(kept.Count);
        long fixes = 0;
        foreach (var r in kept)
            if (r.DefaultCorrect || fixes++ < allowed) capped.Add(r);
        return capped;
    }
}
