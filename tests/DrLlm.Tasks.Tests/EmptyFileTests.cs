using DrLlm.Tasks.Loading;
using DrLlm.Tests.Shared;

namespace DrLlm.Tasks.Tests;

/// <summary>
/// Issue 16: a task file with no item (empty, a header alone, every row skipped) is refused naming the file, in the
/// registry every command samples through, instead of an evaluation reporting n 0, accuracy 0 and exit code 0.
/// </summary>
public class EmptyFileTests
{
    [Theory]
    [InlineData("gsm8k", "empty.jsonl", "")]
    [InlineData("arc", "blank.jsonl", "\n\n  \n")]
    [InlineData("dart", "empty.json", "[]")]
    [InlineData("mmlu", "header.csv", "question,A,B,C,D,answer\n")]
    [InlineData("generic", "header.csv?question=q&answer=a", "q,a\n")]
    public void A_file_without_items_is_refused_naming_it(string kind, string file, string content)
    {
        using var dir = new TempDir();
        string name = file.Split('?')[0], query = file.Contains('?') ? file[file.IndexOf('?')..] : "";
        string path = dir.Write(name, content);
        var source = TaskRegistry.Resolve($"{kind}:{path}{query}", null);
        var e = Assert.Throws<FormatException>(() => source.Sample("test", 5));
        Assert.Equal($"{path}: no {kind} items: the file is empty or holds only a header", e.Message);
    }

    [Fact]
    public void A_file_whose_every_row_was_skipped_says_how_many_and_why()
    {
        using var dir = new TempDir();
        string path = dir.Write("dart.jsonl", "{\"query\": \"q\"}\n{\"query\": \"r\"}\n");
        var source = TaskRegistry.Resolve($"dart:{path}", null, new LoadOptions { SkipBadRows = true });
        var e = Assert.Throws<FormatException>(() => source.Sample("test", 5));
        Assert.StartsWith($"{path}: no usable dart items: all 2 rows were skipped (skipped 2 bad rows: {path}:1: field 'gt_ans'", e.Message);
    }

    [Fact]
    public void A_data_file_is_read_only_up_to_its_limit()
    {
        using var dir = new TempDir();
        string path = dir.Write("big.jsonl", new string('x', 200_000));
        Assert.Equal(200_000, RecordReader.ReadBounded(path, 200_000).Length);
        var e = Assert.Throws<TaskFormatException>(() => RecordReader.ReadBounded(path, 100_000));
        Assert.Equal($"{path}:1: the file holds more than 100,000 characters; split it (or use CSV, which is read as a stream)", e.Message);
    }

    [Fact]
    public void Eval_and_search_on_an_empty_file_exit_1_with_one_line()
    {
        using var dir = new TempDir();
        string path = dir.Write("empty.jsonl", "");
        foreach (var command in new[] { "eval", "search" })
        {
            var (code, output, err) = DrllmProcess.Run(command, "--model", RepoPaths.DemoModel, "--task", $"gsm8k:{path}",
                "--split", "test", "--n", "5", "--threads", "1");
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Equal($"error: {path}: no gsm8k items: the file is empty or holds only a header", err.Trim());
        }
    }
}
