namespace DrLlm.Tasks.Synthetic;

/// <summary>
/// <c>arith</c>: arithmetic with a numeric answer, the in-domain analogue of DART-Math. Graded by the math grader.
/// <list type="table">
/// <item><term>1</term><description>a+b, a, b in 1..20: "Q: 7+12=? A:" → " 19"</description></item>
/// <item><term>2</term><description>a+b or a-b (a ≥ b) with two-digit numbers: "Q: 53-27=? A:" → " 26"</description></item>
/// <item><term>3</term><description>three operands with + - * and precedence: "Q: 12+7*3=? A:" → " 33"</description></item>
/// <item><term>4</term><description>parentheses, three or four operands: "Q: (14-6)*3+5=? A:" → " 29"</description></item>
/// <item><term>5</term><description>a short multi-step word problem: "Q: Ann has 12 pens. She buys 3 packs of 4 and
///   gives away 5. How many pens now? A:" → " 19"</description></item>
/// </list>
/// Answers are integers of at most four digits (may be negative from level 3); the answer is computed alongside the
/// text, and the tests recompute it independently from the text.
/// </summary>
public sealed class ArithFamily : SyntheticFamily
{
    public override string Name => "arith";
    public override string Description => "arithmetic with numeric answers (DART analogue): level 1 a+b … level 5 multi-step word problems";
    public override Grading Grading => Grading.MathAnswer;
    public override bool InDomain => true;
    public override int NewTokens => 8; // " -1234\n" is 7 bytes, the longest answer a byte-level model writes

    protected override GeneratedQuestion Generate(SeededRandom rng, int level)
    {
        var (text, value) = level switch
        {
            1 => Binary(rng.Int(1, 20), '+', rng.Int(1, 20)),
            2 => Level2(rng),
            3 => Level3(rng),
            4 => Level4(rng),
            _ => WordProblem(rng),
        };
        return new GeneratedQuestion(level == 5 ? text : text + "=?", null, value.ToString());
    }

    private static (string, int) Binary(int a, char op, int b) => ($"{a}{op}{b}", Apply(a, op, b));

    private static int Apply(int a, char op, int b) => op switch { '+' => a + b, '-' => a - b, _ => a * b };

    private static (string, int) Level2(SeededRandom rng)
    {
        int a = rng.Int(10, 99), b = rng.Int(10, 99);
        if (rng.Coin()) return Binary(a, '+', b);
        return Binary(Math.Max(a, b), '-', Math.Min(a, b));
    }

    /// <summary>An operand for an operator: small factors for '*', so products stay a few digits.</summary>
    private static int Operand(SeededRandom rng, char op) => op == '*' ? rng.Int(2, 9) : rng.Int(1, 20);

    private static readonly char[] Ops = ['+', '-', '*'];

    private static (string, int) Level3(SeededRandom rng)
    {
        char o1 = rng.Pick(Ops), o2 = rng.Pick(Ops);
        int a = Operand(rng, o1), b = Operand(rng, o1 == '*' || o2 == '*' ? '*' : '+'), c = Operand(rng, o2);
        // Precedence: * before + and -, then left to right.
        int value = o2 == '*' && o1 != '*' ? Apply(a, o1, b * c) : Apply(Apply(a, o1, b), o2, c);
        return ($"{a}{o1}{b}{o2}{c}", value);
    }

    private static (string, int) Level4(SeededRandom rng)
    {
        // (a o1 b) o2 c [o3 d], or a o2 (b o1 c): the parenthesised part is + or -, the outer one often *.
        char inner = rng.Coin() ? '+' : '-';
        char outer = rng.Int(0, 2) == 0 ? rng.Pick(Ops) : '*';
        int a = rng.Int(2, 20), b = rng.Int(1, 20), c = outer == '*' ? rng.Int(2, 9) : rng.Int(1, 20);
        int group = Apply(a, inner, b);
        if (rng.Coin())
        {
            var text = $"({a}{inner}{b}){outer}{c}";
            int value = Apply(group, outer, c);
            if (rng.Coin())
            {
                char last = rng.Coin() ? '+' : '-';
                int d = rng.Int(1, 20);
                return ($"{text}{last}{d}", Apply(value, last, d));
            }
            return (text, value);
        }
        return ($"{c}{outer}({a}{inner}{b})", Apply(c, outer, group));
    }

    private static readonly string[] Names = ["Ann", "Bob", "Cal", "Dee", "Eve", "Max", "Sam", "Tom", "Zoe", "Liv"];
    private static readonly string[] Things = ["pens", "apples", "coins", "cards", "books", "eggs", "shells", "stamps"];

    /// <summary>Word problems of two or three steps; each template states the operations it needs.</summary>
    private static (string, int) WordProblem(SeededRandom rng)
    {
        var n = rng.Pick(Names); var t = rng.Pick(Things);
        switch (rng.Int(0, 4))
        {
            case 0:
            {
                int a = rng.Int(2, 30), b = rng.Int(2, 9), c = rng.Int(2, 9), d = rng.Int(1, a);
                return ($"{n} has {a} {t}, buys {b} packs of {c}, then gives away {d}. How many {t} now?", a + b * c - d);
            }
            case 1:
            {
                int a = rng.Int(3, 12), b = rng.Int(2, 9), c = rng.Int(1, 20);
                return ($"A box holds {a} {t}. {n} has {b} boxes and {c} loose {t}. How many {t} in all?", a * b + c);
            }
            case 2:
            {
                int a = rng.Int(10, 60), b = rng.Int(1, a - 1);
                return ($"{n} had {a} {t}, lost {b}, then doubled the rest. How many {t} now?", 2 * (a - b));
            }
            case 3:
            {
                int k = rng.Int(2, 9), each = rng.Int(2, 12), keep = rng.Int(1, 9);
                return ($"{n} has {k * each + keep} {t}, keeps {keep} and shares the rest equally among {k} friends. How many does each get?", each);
            }
            default:
            {
                int a = rng.Int(10, 50), b = rng.Int(1, a), c = rng.Int(1, 30);
                return ($"A bus has {a} people. At a stop {b} get off and {c} get on. How many are on the bus?", a - b + c);
            }
        }
    }
}
