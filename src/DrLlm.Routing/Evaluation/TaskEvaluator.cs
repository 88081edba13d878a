using System.Diagnostics;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Tasks;
using DrLlm.Tasks.Graders;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Routing.Evaluation;

/// <summary>
/// One item run under one path: what came out and whether it was right; for a span item (SQuAD) Correct is the exact
/// match and <see cref="F1"/> the token F1 (null for letter and math items).
/// </summary>
public sealed record ItemOutcome(string Id, int? Level, bool Correct, string Output, string? Answer, int[] Path, double? F1 = null);

/// <summary>
/// An evaluation over items: accuracy and compute (path steps per example), overall and per level. For span items
/// Accuracy is the exact-match rate and <see cref="F1"/> the mean token F1 (SQuAD's two metrics); F1 is null when no
/// item is span-graded.
/// </summary>
public sealed record EvalReport(
    string Task,
    string Split,
    int N,
    double Accuracy,
    double AvgLayers,
    int NumBlocks,
    double WallSeconds,
    IReadOnlyDictionary<int, double> AccuracyByLevel,
    IReadOnlyList<ItemOutcome> Items,
    double? F1 = null)
{
    /// <summary>The mean F1 of the span-graded outcomes, or null when there are none.</summary>
    public static double? MeanF1(IEnumerable<ItemOutcome> outcomes)
    {
        var f1 = outcomes.Where(o => o.F1 is not null).Select(o => o.F1!.Value).ToList();
        return f1.Count == 0 ? null : f1.Average();
    }
}

/// <summary>
/// Runs task items on the engine the way METHOD.md evaluates a path: the model kind's prompt, greedy generation with
/// the item's new-token budget, graded exactly by the task's grader. A base model gets the plain-text prompt and stops
/// at its EOS or at the answer's end marker (a newline); an instruct model gets the chat messages rendered with its chat
/// template (tokenised as Hugging Face's apply_chat_template does: the template writes any BOS itself) and stops at its
/// EOS / end-of-turn ids. The same preparation serves search rewards, so a path's reward and its evaluation agree.
/// </summary>
public sealed class TaskEvaluator
{
    private readonly Decoder model;
    private readonly ITokenizer tokenizer;
    private readonly ModelKind kind;
    private readonly ChatTemplate? template;
    private readonly HashSet<int> _stops;

    /// <summary>A base-model evaluator: plain-text prompts.</summary>
    public TaskEvaluator(Decoder model, ITokenizer tokenizer) : this(model, tokenizer, ModelKind.Base, null) { }

    /// <summary>
    /// An evaluator for <paramref name="kind"/>; an instruct model needs its chat template
    /// (<see cref="ChatTemplate.Find"/> on the model's path).
    /// </summary>
    public TaskEvaluator(Decoder model, ITokenizer tokenizer, ModelKind kind, ChatTemplate? template)
    {
        if (kind == ModelKind.Instruct && template is null)
            throw new ArgumentException("instruct evaluation needs the model's chat template (tokenizer_config.json chat_template or GGUF tokenizer.chat_template), and this model has none: evaluate it as a base model");
        this.model = model;
        this.tokenizer = tokenizer;
        this.kind = kind;
        this.template = template;
        _stops = kind == ModelKind.Base ? BaseStopTokens(tokenizer) : [.. tokenizer.EosTokenIds];
    }

    public Decoder Model => model;
    public ITokenizer Tokenizer => tokenizer;
    public ModelKind Kind => kind;

    /// <summary>The prompt text for <paramref name="item"/>: plain text for a base model, the rendered chat for an instruct model.</summary>
    public string PromptText(TaskItem item) => kind == ModelKind.Base
        ? TaskPrompts.Base(item)
        : template!.Render(TaskPrompts.Instruct(item).Select(m => new Engine.Text.ChatMessage(m.Role, m.Content)).ToList());

    /// <summary>Prompt ids, new-token budget and stop ids for <paramref name="item"/>.</summary>
    public (int[] Prompt, int Budget, IReadOnlySet<int> Stops) Prepare(TaskItem item)
    {
        var ids = tokenizer.Encode(PromptText(item), addSpecialTokens: kind == ModelKind.Base);
        return (ids, TaskPrompts.NewTokenBudget(item, kind), _stops);
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
        return new ItemOutcome(item.Id, item.Level, grade.Correct, output, grade.Answer, path.Steps.ToArray(), grade.F1);
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
            model.Config.NumLayers, sw.Elapsed.TotalSeconds, byLevel, outcomes, EvalReport.MeanF1(outcomes));
    }

    /// <summary>EOS ids, plus the newline token when "\n" is a single token: training completions end with one.</summary>
    private static HashSet<int> BaseStopTokens(ITokenizer t)
    {
        var stops = new HashSet<int>(t.EosTokenIds);
        var newline = t.Encode(TaskPrompts.StopMarker, addSpecialTokens: false);
        if (newline.Length == 1) stops.Add(newline[0]);
        return stops;
    }
}
