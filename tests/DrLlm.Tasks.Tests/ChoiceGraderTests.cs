using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Tests;

public class ChoiceGraderTests
{
    [Theory]
    [InlineData("B", 'B')]
    [InlineData(" B", 'B')]
    [InlineData(" B\n", 'B')]
    [InlineData("\n B", 'B')]
    [InlineData("B.", 'B')]
    [InlineData("(B)", 'B')]
    [InlineData("B)", 'B')]
    [InlineData("[C]", 'C')]
    [InlineData("D:", 'D')]
    [InlineData("b", 'B')]
    [InlineData("b)", 'B')]
    [InlineData("b.", 'B')]
    [InlineData("(c)", 'C')]
    [InlineData("A", 'A')]
    [InlineData("A dog", 'A')]
    [InlineData("B is correct", 'B')]
    [InlineData("B. Because A is smaller", 'B')]
    [InlineData("B, yes B", 'B')]
    [InlineData("C C", 'C')]
    [InlineData("Answer: B", 'B')]
    [InlineData("Answer:B", 'B')]
    [InlineData("answer: c", 'C')]
    [InlineData("The answer is B", 'B')]
    [InlineData("the answer is (D).", 'D')]
    [InlineData("answer is b", 'B')]
    [InlineData("Answer - A", 'A')]
    [InlineData("The correct option is C", 'C')]
    [InlineData("Option D is right", 'D')]
    [InlineData("Choice A", 'A')]
    [InlineData("I think B", 'B')]
    [InlineData("It's B", 'B')]
    [InlineData("B\nQuestion: A tree is", 'B')] // only the first line counts
    [InlineData("The answer is:\nB", 'B')] // the first line has no letter: the whole output is read
    [InlineData("My pick would be C", 'C')]
    public void Extracts_the_letter(string output, char expected) => Assert.Equal(expected, ChoiceAnswer.Extract(output, 4));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("E")] // out of range with four options
    [InlineData("E.")]
    [InlineData("The answer is E")]
    [InlineData("B or C")] // ambiguous
    [InlineData("A and D")]
    [InlineData("either (A) or (B)")]
    [InlineData("a dog")] // lower-case 'a' before a word is an article
    [InlineData("AB")]
    [InlineData("ABCD")]
    [InlineData("none of them")]
    [InlineData("12")]
    public void Finds_no_single_valid_letter(string output) => Assert.Null(ChoiceAnswer.Extract(output, 4));

    [Theory]
    [InlineData("E", 5, 'E')]
    [InlineData("J", 10, 'J')]
    [InlineData("i", 10, 'I')]
    [InlineData("B", 2, 'B')]
    [InlineData("M", 13, 'M')]
    [InlineData("The answer is (L).", 13, 'L')]
    [InlineData("Probably K", 13, 'K')]
    public void Range_follows_the_option_count(string output, int n, char expected) => Assert.Equal(expected, ChoiceAnswer.Extract(output, n));

    [Fact]
    public void Letters_beyond_the_option_count_are_not_answers()
    {
        Assert.Null(ChoiceAnswer.Extract("C", 2));
        Assert.Null(ChoiceAnswer.Extract("K", 10)); // a capital beyond J stands as an answer for no option of ten
        Assert.Null(ChoiceAnswer.Extract("N.", 13));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChoiceAnswer.Extract("A", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChoiceAnswer.Extract("A", 27));
    }

    [Theory]
    [InlineData(" B", "B", true)]
    [InlineData(" B", "b", true)]
    [InlineData(" C", "B", false)]
    [InlineData("B or C", "B", false)]
    [InlineData("", "A", false)]
    public void Grade_compares_with_the_gold_letter(string output, string gold, bool correct) =>
        Assert.Equal(correct, ChoiceAnswer.Grade(output, gold, 4));
}
