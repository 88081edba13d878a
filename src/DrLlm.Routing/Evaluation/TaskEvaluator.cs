using System.Diagnostics;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Tasks;
using DrLlm.Tasks.Graders;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Routing.Evaluation;

/// <summary>One item run under one path: what came out and whether it was right.</summary>
public sealed record ItemOutcome(string Id, int? Level, bool Correct, string Output, string? Answer, int[] Path);

/// <summary>An evaluation over items: accuracy and compute (path steps per example), overall and per level.</summary>
public sealed record EvalReport(
    string Task,
    string Split,
    int N,
    double Accuracy,
    double AvgLayers,
    int NumBlocks,
    double WallSeconds,
    IReadOnlyDictionary<int, double> AccuracyByLevel,
    IReadOnlyList<ItemOutcome> Items);

/// <summary>
/// Runs task items on the engine the way METHOD.md evaluates a path: the model kind's prompt, greedy generation with
/// the item's new-token budget, stopped at the model's EOS or at the answer's end marker (a newline), graded exactly by
/// the task's grader. The same preparation serves search rewards, so a path's reward and its evaluation agree.
/// </summary>
public sealed class TaskEvaluator(Decoder model, ITokenizer tokenizer, ModelKind kind = ModelKind.Base)
{
    private readonly HashSet<int> _stops = StopTokens(tokenizer);

    public Decoder Model => model;
    public ITokenizer Tokenizer => tokenizer;

    /// <summary>Prompt ids, new-token budget and stop ids for <paramref name="item"/>.</summary>
    public (int[] Prompt, int Budget, IReadOnlySet<int> Stops) Prepare(TaskItem item)
    {
        if (kind != ModelKind.Base)
            throw new NotSupportedException("instruct-model evaluation needs chat-template rendering, which is not wired yet; evaluate as a base model");
        return (tokenizer.Encode(TaskPrompts.Base(item)), TaskPrompts.NewTokenBudget(item, kind), _stops);
    }

    /// <summary>Grades generated ids for <paramref name="item"/>.</summary>
    public GradeResult Grade(TaskItem item, IReadOnlyList<int> generated) =>
        Grader.Grade(item, tokenizer.Decode(generated.ToArray(), skipSpecialTokens: true));

    public ItemOutcome Run(InferenceSession session, TaskItem item, LayerPath path)
    {
        var (prompt, budget, stops) = Prepare(item);
        return Outcome(item, Generation.Greedy(session, prompt, path, budget, stops).Tokens, path);
    }

    private ItemOutcome Outcome(TaskItem item, int[] generated, LayerPath path)
    {
        var output = tokenizer.Decode(generated, skipSpecialTokens: true);
        var grade = Grader.Grade(item, output);
        return new ItemOutcome(item.Id, item.Level, grade.Correct, output, grade.Answer, path.Steps.ToArray());
    }

    /// <summary>
    /// Runs <paramref name="item"/> with routers choosing the path during prefill (RoutedInference); returns the outcome,
    /// the per-block decisions and the time spent in the routers versus in total.
    /// </summary>
    public (ItemOutcome Outcome, int[] Decisions, double RouterSeconds, double TotalSeconds) RunRouted(
        InferenceSession session, TaskItem item, Routers.RouterSet routers)
    {
        var (prompt, budget, stops) = Prepare(item);
        var routed = Routers.RoutedInference.Generate(session, routers, prompt, budget, stops);
        return (Outcome(item, routed.Generation.Tokens, routed.Path), routed.Decisions, routed.RouterSeconds, routed.TotalSeconds);
    }

    /// <summary>Evaluates every item under the path <paramref name="pathFor"/> gives it (the default path for a baseline).</summary>
    public EvalReport Evaluate(string task, string split, IReadOnlyList<TaskItem> items, Func<TaskItem, LayerPath> pathFor)
    {
        var sw = Stopwatch.StartNew();
        using var session = model.CreateSession();
        var outcomes = items.Select(item => Run(session, item, pathFor(item))).ToList();
        int n = outcomes.Count;
        var byLevel = outcomes.Where(o => o.Level is not null).GroupBy(o => o.Level!.Value).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.Average(o => o.Correct ? 1.0 : 0.0));
        return new EvalReport(task, split, n,
            n == 0 ? 0 : outcomes.Average(o => o.Correct ? 1.0 : 0.0),
            n == 0 ? 0 : outcomes.Average(o => (double)o.Path.Length),
            model.Config.NumLayers, sw.Elapsed.TotalSeconds, byLevel, outcomes);
    }

    /// <summary>EOS ids, plus the newline token when "\n" is a single token: training completions end with one.</summary>
    private static HashSet<int> StopTokens(ITokenizer t)
    {
        var stops = new HashSet<int>(t.EosTokenIds);
        var newline = t.Encode(TaskPrompts.StopMarker, addSpecialTokens: false);
        if (newline.Length == 1) stops.Add(newline[0]);
        return stops;
    }
}
