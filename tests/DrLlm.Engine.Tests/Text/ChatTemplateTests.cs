using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Engine.Text;
using DrLlm.Engine.Text.Jinja;

namespace DrLlm.Engine.Tests.Text;

/// <summary>The real Llama-3.x, Qwen2.5 and Qwen3 chat templates, rendered and compared with outputs written out by hand from the templates.</summary>
public class ChatTemplateTests
{
    static string TemplateFile(string name) => File.ReadAllText(Path.Combine(VocabCases.NpmDir, "llama-src", "models", "templates", name));
    static string TokenizerConfig(string family) => Path.Combine(VocabCases.NpmDir, $"tokenizer-{family}", "package", "models", "tokenizer_config.json");

    static readonly ChatMessage[] SystemUser = [new("system", "Be brief."), new("user", "Hi")];
    static readonly ChatMessage[] Conversation = [new("system", "Be brief."), new("user", "Hi"), new("assistant", "Hello!"), new("user", "How are you?")];

    [Fact]
    public void Llama_3_2_prints_the_date_header_then_each_turn()
    {
        var t = new ChatTemplate(TemplateFile("meta-llama-Llama-3.2-3B-Instruct.jinja"), "<|begin_of_text|>") { Clock = () => new DateTime(2024, 12, 5) };
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 05 Dec 2024\n\n" +
            "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            t.Render(SystemUser, addGenerationPrompt: true));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 05 Dec 2024\n\n" +
            "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
            t.Render([new("user", " Hi "), new("assistant", "Hello!")], addGenerationPrompt: false));
    }

    [Theory]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja")]
    [InlineData("meta-llama-Llama-3.3-70B-Instruct.jinja")]
    public void Llama_3_1_and_3_3_use_their_fixed_date(string file)
    {
        var t = new ChatTemplate(TemplateFile(file), "<|begin_of_text|>");
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            t.Render(SystemUser));
    }

    [Fact]
    public void Llama_3_tokenizer_config_template_always_opens_the_assistant_turn()
    {
        var t = ChatTemplate.Find(TokenizerConfig("llama3"))!;
        Assert.Equal("<|begin_of_text|>", t.BosToken);
        const string expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        Assert.Equal(expected, t.Render(SystemUser, addGenerationPrompt: true));
        Assert.Equal(expected, t.Render(SystemUser, addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen2_5_adds_its_default_system_prompt()
    {
        var t = new ChatTemplate(TemplateFile("Qwen-Qwen2.5-7B-Instruct.jinja"));
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            t.Render([new("user", "Hi")], addGenerationPrompt: true));
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n",
            t.Render(Conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen3_renders_turns_thinking_blocks_and_enable_thinking()
    {
        var t = ChatTemplate.Find(TokenizerConfig("qwen3"))!;
        Assert.Equal("<|im_end|>", t.EosToken);
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n" +
            "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n",
            t.Render(Conversation, addGenerationPrompt: true));
        // The last assistant turn after the last user query gets an (empty) think block; earlier reasoning is dropped.
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n",
            t.Render([new("user", "Hi"), new("assistant", "Hello!")], addGenerationPrompt: false));
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nHello!<|im_end|>\n",
            t.Render([new("user", "Hi"), new("assistant", "<think>\nplan\n</think>\n\nHello!")], addGenerationPrompt: false));
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            t.Render([new("user", "Hi")], true, new Dictionary<string, object?> { ["enable_thinking"] = false }));
        Assert.Equal(t.Render([new("user", "Hi")]), new ChatTemplate(TemplateFile("Qwen-Qwen3-0.6B.jinja")).Render([new("user", "Hi")]));
    }

    [Theory]
    [InlineData("Qwen-QwQ-32B.jinja")]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja")]
    [InlineData("HuggingFaceTB-SmolLM3-3B.jinja")]
    public void Other_real_templates_render_a_user_turn(string file)
    {
        string text;
        try { text = new ChatTemplate(TemplateFile(file), "<s>", "</s>").Render([new("user", "Hi there")]); }
        catch (JinjaException e) { Assert.Fail($"{file}: {e.Message}"); return; }
        Assert.Contains("Hi there", text);
    }

    [Fact]
    public void Jinja_subset_covers_expressions_scoping_and_whitespace_control()
    {
        string R(string src) => new ChatTemplate(src).Render([new("user", "a"), new("assistant", "b")]);
        Assert.Equal("2:user,assistant", R("{{ messages|length }}:{% for m in messages %}{{ m.role }}{% if not loop.last %},{% endif %}{% endfor %}"));
        Assert.Equal("x", R("{% set v = 'x' %}{% for m in messages %}{% set v = 'y' %}{% endfor %}{{ v }}"));
        Assert.Equal("y", R("{% set ns = namespace(v='x') %}{% for m in messages %}{% set ns.v = 'y' %}{% endfor %}{{ ns.v }}"));
        Assert.Equal("ba", R("{% for m in messages[::-1] %}{{ m['content'] }}{% endfor %}"));
        Assert.Equal("AB", R("A\n  {%- if true %}\n{{ 'B' }}{% endif %}"));
        Assert.Equal("A\nB", R("A\n  {% if true %}\nB{% endif %}")); // lstrip_blocks + trim_blocks
        Assert.Equal("line\n", R("{% if true %}\nline\n{% endif %}\n"));
        Assert.Equal("yes 7 ab-c [\"q\", 1]", R("{{ 'yes' if 'x' in 'xyz' else 'no' }} {{ 1 + 2 * 3 }} {{ 'a' ~ 'b-c' }} {{ ['q', 1] | tojson }}"));
        Assert.Equal("c|True|3", R("{{ ' a b c '.split()[-1] }}|{{ x is not defined and none is none }}|{{ range(3)|length }}"));
    }

    [Fact]
    public void Unsupported_template_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "tokenizer_config.json");
        File.WriteAllText(path, """{"chat_template": "{% macro m() %}x{% endmacro %}{{ m() }}"}""");
        var e = Assert.Throws<ModelFormatException>(() => ChatTemplate.Find(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("macro", e.Message);
        Assert.Null(ChatTemplate.Find(TokenizerConfig("llama2")));
        Assert.Equal("a\n\nb", ChatTemplate.PlainPrompt([new("user", "a"), new("user", "b")]));
    }
}
