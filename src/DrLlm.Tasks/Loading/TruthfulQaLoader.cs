using System.Text.Json;
using DrLlm.Tasks.Synthetic;

namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// TruthfulQA multiple choice, MC1: each question's <c>mc1_targets</c> hold several answers (at times more than ten) of
    /// which exactly one is true. Two shapes: the Hugging Face <c>truthful_qa</c> "multiple_choice" rows
    /// <c>{"question", "mc1_targets": {"choices": [...], "labels": [1, 0, …]}}</c> and the original release's
    /// <c>mc_task.json</c> <c>{"question", "mc1_targets": {"answer text": 1, "other": 0, …}}</c>.
    ///
    /// <para>Why MC1 and not MC2: both are scored in the evaluation harness (truthfulqa_mc1 / truthfulqa_mc2) from the
    /// log-likelihood of each answer. MC1's score is whether the true answer is the one picked, which a generated letter
    /// answers just as well: correct iff the model names the true option. MC2's score is the normalised probability
    /// mass on the true answers (Σ p(true) / Σ p(all)), which needs every answer's likelihood; this evaluator generates
    /// and grades text and computes none, so MC2 is not offered rather than replaced by a different metric.</para>
    ///
    /// <para>The release lists the true answer first. The harness's likelihood scoring does not mind; a letter prompt
    /// would (every gold letter "A"), so the options are shuffled, deterministically per question text (rows carry no id),
    /// the same on every machine.</para>
    /// </summary>
    public static LoadResult TruthfulQaMc1(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "truthfulqa-mc1", options ?? new(), (obj, ctx) =>
        {
            var question = Fields.String(obj, "question");
            var targets = Fields.Find(obj, "mc1_targets") ?? throw new RecordException("mc1_targets", "missing");
            if (targets.ValueKind != JsonValueKind.Object) throw new RecordException("mc1_targets", "expected an object of choices and labels");
            List<string> texts;
            List<int> labels;
            bool hf = Fields.Find(targets, "choices") is { ValueKind: JsonValueKind.Array } && Fields.Find(targets, "labels") is not null;
            var field = hf ? "mc1_targets.labels" : "mc1_targets";
            if (hf)
            {
                texts = Fields.StringList(obj, "mc1_targets.choices");
                labels = Fields.StringList(obj, "mc1_targets.labels").Select((l, i) => TruthLabel(l, $"mc1_targets.labels[{i}]")).ToList();
                if (labels.Count != texts.Count) throw new RecordException("mc1_targets.labels", $"{labels.Count} labels for {texts.Count} choices");
            }
            else
            {
                texts = []; labels = [];
                foreach (var p in targets.EnumerateObject())
                {
                    texts.Add(p.Name);
                    labels.Add(TruthLabel(Fields.AsText(p.Value, $"mc1_targets.{p.Name}"), $"mc1_targets.{p.Name}"));
                }
            }
            if (texts.Count is < 2 or > 26) throw new RecordException(field, $"expected 2 to 26 answers, got {texts.Count}");
            if (labels.Count(l => l == 1) != 1) throw new RecordException(field, $"expected exactly one true answer (label 1), got {labels.Count(l => l == 1)}");
            var order = new SeededRandom(SeededRandom.Hash("truthfulqa-mc1", question)).Shuffled(Enumerable.Range(0, texts.Count));
            var gold = order.IndexOf(labels.IndexOf(1));
            return new TaskItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, ctx.Task, question, order.Select(i => texts[i]).ToList(),
                TaskItem.Letter(gold).ToString(), Grading.MultipleChoiceLetter, ctx.Source, null, ctx.Split);
        });

    private static int TruthLabel(string raw, string field) => raw.Trim() switch
    {
        "1" or "true" => 1,
        "0" or "false" => 0,
        _ => throw new RecordException(field, $"expected a label 0 or 1, got '{raw}'"),
    };
}
