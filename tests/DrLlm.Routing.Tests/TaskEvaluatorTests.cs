using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Tasks;
using DrLlm.Tasks.Prompts;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary>How the evaluator prompts a base and an instruct model, and what ends their generations.</summary>
public class TaskEvaluatorTests
{
    // The shipped model's byte-level tokenizer (<|bos|> 256, <|eos|> 257, add_bos_token) and a random model over its vocabulary.
    private static readonly string ModelDir = RepoPaths.DemoModel;
    private const string Template =
        "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|eos|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";


    private static Decoder RandomModel()
    {
        var c = new ModelConfig
        {
            Architecture = Architecture.Llama, HiddenSize = 32, IntermediateSize = 48, NumLayers = 4, NumHeads = 4,
            NumKvHeads = 2, HeadDim = 8, VocabSize = 264, RmsNormEps = 1e-5f, BosTokenId = 256, EosTokenIds = [257],
        };
        return new Decoder(ModelWeights.FromCheckpoint(InMemoryTensorSource.Checkpoint(c, RandomInit.Weights(c, 5, 0.3f))), threads: 1);
    }

    [Fact]
    public void An_instruct_model_gets_its_rendered_chat_with_one_bos_and_stops_only_at_eos()
    {
        var tokenizer = TokenizerLoader.Load(ModelDir);
        using var model = RandomModel();
        var evaluator = new TaskEvaluator(model, tokenizer, ModelKind.Instruct, new ChatTemplate(Template, "<|bos|>", "<|eos|>"));
        var math = TaskRegistry.Resolve("arith").Sample("test", 1, 0)[0];
        var letter = TaskRegistry.Resolve("mcq").Sample("test", 1, 0)[0];

        var (prompt, budget, stops) = evaluator.Prepare(math);
        string text = evaluator.PromptText(math);
        Assert.Equal($"<|bos|><|user|>\n{math.Question}\n{TaskPrompts.NumberInstruction}<|eos|>\n<|assistant|>\n", text);
        Assert.Equal(tokenizer.Encode(text, addSpecialTokens: false), prompt);
        Assert.Equal(256, prompt[0]);
        Assert.Equal(1, prompt.Count(id => id == 256)); // the template's BOS only; the tokenizer adds none
        Assert.Equal(15, budget);
        Assert.Equal([257], stops.Order());
        Assert.Equal(10, evaluator.Prepare(letter).Budget);

        var report = evaluator.Evaluate("mcq", "test", [letter, letter], _ => LayerPath.Default(4));
        Assert.Equal(2, report.N);
        Assert.Equal(report.Items[0].Output, report.Items[1].Output); // the same prompt, the same greedy answer
        Assert.Equal([0, 1, 2, 3], report.Items[0].Path);
    }

    [Fact]
    public void A_base_model_gets_plain_text_with_the_tokenizers_bos_and_also_stops_at_the_newline()
    {
        var tokenizer = TokenizerLoader.Load(ModelDir);
        using var model = RandomModel();
        var evaluator = new TaskEvaluator(model, tokenizer);
        var item = TaskRegistry.Resolve("arith").Sample("test", 1, 0)[0];
        var (prompt, budget, stops) = evaluator.Prepare(item);
        Assert.Equal(tokenizer.Encode(TaskPrompts.Base(item)), prompt);
        Assert.Equal(256, prompt[0]);
        Assert.Equal(item.NewTokens, budget);
        Assert.Equal([(int)'\n', 257], stops.Order());
    }

    [Fact]
    public void Span_items_report_exact_match_as_accuracy_and_the_mean_token_f1()
    {
        var tokenizer = TokenizerLoader.Load(ModelDir);
        using var model = RandomModel();
        var evaluator = new TaskEvaluator(model, tokenizer);
        var span = new TaskItem("s1", "squadv2", "Who won?", null, "Denver Broncos", Grading.ExtractiveSpan, "s.jsonl:1", null, "test",
            Passage: "The Denver Broncos won.", Answers: ["Denver Broncos"]);
        var none = span with { Id = "s2", Gold = Tasks.Graders.SpanAnswer.NoAnswer, Answers = [] };
        Assert.Equal(TaskPrompts.SpanTokens, evaluator.Prepare(span).Budget);

        var report = evaluator.Evaluate("squadv2", "test", [span, none], _ => LayerPath.Default(4));
        var expected = report.Items.Zip(new[] { span, none }).Select(x => Tasks.Graders.Grader.Grade(x.Second, x.First.Output)).ToList();
        Assert.Equal(expected.Select(g => g.F1), report.Items.Select(o => o.F1));
        Assert.Equal(expected.Average(g => g.F1!.Value), report.F1!.Value, 12);
        Assert.Equal(expected.Average(g => g.Correct ? 1.0 : 0.0), report.Accuracy);
        Assert.Equal(1.0, EvalReport.MeanF1([report.Items[0] with { F1 = 1.0 }, report.Items[1] with { F1 = 1.0 }]));

        var letters = evaluator.Evaluate("mcq", "test", TaskRegistry.Resolve("mcq").Sample("test", 2, 0), _ => LayerPath.Default(4));
        Assert.Null(letters.F1);
        Assert.All(letters.Items, o => Assert.Null(o.F1));
    }

    [Fact]
    public void Instruct_evaluation_without_a_chat_template_is_refused_with_the_reason()
    {
        using var model = RandomModel();
        var e = Assert.Throws<ArgumentException>(() => new TaskEvaluator(model, TokenizerLoader.Load(ModelDir), ModelKind.Instruct, null));
        Assert.Contains("chat template", e.Message);
    }
}
