using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Tests;

public class MathGraderTests
{
    [Theory]
    // integers, decimals, fractions
    [InlineData("5", "5")]
    [InlineData("5.0", "5")]
    [InlineData("1.50", "1.5")]
    [InlineData("0.10", "0.1")]
    [InlineData("007", "7")]
    [InlineData("+5", "5")]
    [InlineData("-0", "0")]
    [InlineData("  7  ", "7")]
    [InlineData("3.14", "3.14")]
    [InlineData(".5", "0.5")]
    [InlineData("3/4", "0.75")]
    [InlineData("10/4", "2.5")]
    [InlineData("0.5", "\\frac{1}{2}")]
    [InlineData("\\frac{3}{4}", "0.75")]
    [InlineData("\\dfrac{3}{4}", "3/4")]
    [InlineData("\\tfrac34", "0.75")]
    [InlineData("\\frac12", "0.5")]
    [InlineData("\\frac{6}{4}", "1.5")]
    [InlineData("\\frac{-1}{2}", "-0.5")]
    [InlineData("-\\frac{1}{2}", "\\frac{-1}{2}")]
    // thousands separators
    [InlineData("1,000", "1000")]
    [InlineData("1,234,567", "1234567")]
    [InlineData("1,000.5", "1000.5")]
    [InlineData("1{,}000", "1000")]
    [InlineData("100\\,000", "100000")]
    // signs
    [InlineData("-3", "-3")]
    [InlineData("-(-3)", "3")]
    [InlineData("\u22124", "-4")]
    [InlineData("4/-2", "-2")]
    // simple expressions
    [InlineData("2+3", "5")]
    [InlineData("2^3", "8")]
    [InlineData("2^{10}", "1024")]
    [InlineData("2^-1", "0.5")]
    [InlineData("-2^2", "-4")]
    [InlineData("(2+3)*4", "20")]
    [InlineData("2\\cdot 3", "6")]
    [InlineData("2\\times3", "6")]
    [InlineData("6\\div 2", "3")]
    [InlineData("\\sqrt{4}", "2")]
    [InlineData("\\sqrt4", "2")]
    [InlineData("\\sqrt{\\frac{9}{4}}", "1.5")]
    [InlineData("{3}", "3")]
    // wrappers, units, percent, degrees
    [InlineData("50\\%", "50")]
    [InlineData("50%", "50")]
    [InlineData("\\$12", "12")]
    [InlineData("$12$", "12")]
    [InlineData("12 dollars", "12")]
    [InlineData("12 apples", "12")]
    [InlineData("5\\text{ cm}", "5")]
    [InlineData("5 \\text{cm}", "5")]
    [InlineData("\\mbox{ 7}", "7")]
    [InlineData("\\textbf{8}", "8")]
    [InlineData("90^\\circ", "90")]
    [InlineData("90^{\\circ}", "90")]
    [InlineData("x = 7", "7")]
    [InlineData("x=7", "7")]
    [InlineData("\\left(3\\right)", "3")]
    [InlineData("3.", "3")]
    [InlineData("$\\frac{3}{4}$", "0.75")]
    [InlineData("\\(42\\)", "42")]
    [InlineData("\\!2", "2")]
    // boxed on either side
    [InlineData("\\boxed{5}", "5")]
    [InlineData("0.5", "\\boxed{\\frac{1}{2}}")]
    // rounded decimals (at least two decimals) for non-terminating values, both ways
    [InlineData("0.33", "1/3")]
    [InlineData("0.333", "\\frac{1}{3}")]
    [InlineData("0.67", "2/3")]
    [InlineData("1/3", "0.33")]
    // tuples, intervals, and text that does not evaluate
    [InlineData("(1, 2)", "(1,2)")]
    [InlineData("[1, 3)", "[1,3)")]
    [InlineData("(\\frac{1}{2}, 3)", "(0.5, 3)")]
    [InlineData("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{2}")]
    [InlineData("2\\sqrt{3}", "2 \\sqrt{3}")]
    [InlineData("x^2+1", "x^2 + 1")]
    [InlineData("\\text{Monday}", "monday")]
    public void Equivalent_answers_match(string predicted, string gold) =>
        Assert.True(MathAnswer.Equivalent(predicted, gold), $"'{predicted}' should equal '{gold}'");

    [Theory]
    [InlineData("5", "6")]
    [InlineData("7", "77")]
    [InlineData("-5", "5")]
    [InlineData("2", "-2")]
    [InlineData("2+3", "6")]
    [InlineData("0.3", "1/3")] // one decimal is not a rounding of 1/3
    [InlineData("0.34", "1/3")]
    [InlineData("0.5", "1/3")]
    [InlineData("0.5", "50\\%")] // percent signs are dropped: 50% is 50
    [InlineData("50", "0.5")]
    [InlineData("\\frac{1}{2}", "\\frac{1}{3}")]
    [InlineData("(1,2)", "(2,1)")]
    [InlineData("(1,2)", "[1,2]")]
    [InlineData("(1,2)", "(1,2,3)")]
    [InlineData("", "5")]
    [InlineData("   ", "5")]
    [InlineData("x", "5")]
    [InlineData("A", "5")]
    [InlineData("3", "3x")] // one letter is a variable, not a unit
    [InlineData("1\\frac{1}{2}", "1.5")] // no mixed numbers: juxtaposition is not evaluated
    [InlineData("5/0", "5")]
    [InlineData("12", "1,2")]
    [InlineData("1000", "1,0000")]
    [InlineData("\\sqrt{2}", "1.414")]
    [InlineData("1.5", "")]
    public void Different_answers_do_not_match(string predicted, string gold) =>
        Assert.False(MathAnswer.Equivalent(predicted, gold), $"'{predicted}' should not equal '{gold}'");

    [Theory]
    [InlineData("The answer is \\boxed{42}.", "42")]
    [InlineData("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}")]
    [InlineData("first \\boxed{1} then \\boxed{2}", "2")]
    [InlineData("so \\boxed{\\frac{\\sqrt{3}}{2}} done", "\\frac{\\sqrt{3}}{2}")]
    [InlineData("\\fbox{7}", "7")]
    [InlineData("$\\boxed 5$", "5")]
    [InlineData("\\boxed{12", "12")] // cut off inside the box: the last number
    [InlineData(" 33\nQ: 4+5=? A: 9", "33")]
    [InlineData("12+7*3 = 33", "33")]
    [InlineData("5-3", "3")]
    [InlineData("= -5", "-5")]
    [InlineData("x = -5", "-5")]
    [InlineData(" -12\n", "-12")]
    [InlineData("#### 1,234", "1,234")]
    [InlineData("48/2 = 24\n#### 72", "72")]
    [InlineData("It is 3/4 of the cake", "3/4")]
    [InlineData("about $\\frac{3}{4}$ of it", "\\frac{3}{4}")]
    [InlineData("\n\n 7 \n", "7")]
    [InlineData(" 1,000 dollars", "1,000")]
    [InlineData("0.5.", "0.5")]
    [InlineData("The result: 2.50", "2.50")]
    [InlineData("(3)", "3")]
    public void Extract_finds_the_final_answer(string output, string expected) =>
        Assert.Equal(expected, MathAnswer.Extract(output));

    [Theory]
    [InlineData("")]
    [InlineData("no numbers here")]
    [InlineData("\n\n")]
    [InlineData("The answer is\n42")] // only the first non-blank line counts
    public void Extract_finds_nothing(string output) => Assert.Null(MathAnswer.Extract(output));

    [Theory]
    [InlineData(" 33\n", "33", true)]
    [InlineData(" 33\nQ: 1+1=? A: 2", "33", true)]
    [InlineData(" 34\n", "33", false)]
    [InlineData(" \\boxed{33}\n", "33", true)]
    [InlineData("The answer is 33.", "33", true)]
    [InlineData(" -7\n", "-7", true)]
    [InlineData(" 7\n", "-7", false)]
    [InlineData("", "1", false)]
    [InlineData(" 12", "123", false)] // a budget that cuts the number short is wrong
    [InlineData("We get 1,500 in total", "1500", true)]
    [InlineData("So x = \\frac{3}{4}", "0.75", true)]
    [InlineData("\\boxed{50\\%}", "50", true)]
    public void Grade_extracts_then_compares(string output, string gold, bool correct) =>
        Assert.Equal(correct, MathAnswer.Grade(output, gold));

    [Theory]
    [InlineData("1+2*3", "7")]
    [InlineData("(1+2)*3", "9")]
    [InlineData("10-4-3", "3")]
    [InlineData("12/4/3", "1")]
    [InlineData("2^3^2", "512")]
    [InlineData("\\frac{1}{3}+\\frac{1}{6}", "1/2")]
    [InlineData("0.1+0.2", "3/10")]
    public void Evaluator_is_exact_and_follows_precedence(string expr, string expected) =>
        Assert.Equal(expected, MathExpression.Evaluate(expr)?.ToString());

    [Theory]
    [InlineData("2x")]
    [InlineData("1/0")]
    [InlineData("2^{100}")]
    [InlineData("\\sqrt{2}")]
    [InlineData("(1+2")]
    [InlineData("1..2")]
    [InlineData(".")]
    public void Evaluator_refuses_what_it_cannot_do_exactly(string expr) => Assert.Null(MathExpression.Evaluate(expr));
}
