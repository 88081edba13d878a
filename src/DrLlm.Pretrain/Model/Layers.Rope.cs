using DrLlm.Engine.Kernels;

namespace DrLlm.Pretrain.Model;

public static unsafe partial class Layers
{
    /// <summary>
    /// Rotary embedding in place, Hugging Face's "rotate half" layout (modeling_llama apply_rotary_pos_emb): in each
    /// head of width hd the pair (x[i], x[i + hd/2]) rotates by pos·invFreq[i]. x is [B·T, heads·hd]; row b·T + t sits at
    /// position t (every packed sequence starts at 0). cos/sin come from the engine's <see cref="RopeTable"/>, so the
    /// angles are bit-identical to inference.
    /// </summary>
    public static void RopeForward(float* x, int b, int t, int heads, int hd, RopeTable table) =>
        Rotate(x, b, t, heads, hd, table, sign: 1f);

    /// <summary>
    /// The rotation is orthogonal, so its backward is the rotation by −angle applied to the gradient, in place:
    /// da = da'·cos + db'·sin, db = −da'·sin + db'·cos.
    /// </summary>
    public static void RopeBackward(float* dx, int b, int t, int heads, int hd, RopeTable table) =>
        Rotate(dx, b, t, heads, hd, table, sign: -1f);

    private static void Rotate(float* x, int b, int t, int heads, int hd, RopeTable table, float sign)
    {
        int half = hd / 2;
        table.EnsureCapacity(t);
        for (int row = 0; row < b * t; row++)
        {
            var cos = table.Cos(row % t);
            var sin = table.Sin(row % t);
            for (int h = 0; h < heads; h++)
            {
                float* a = x + ((long)row * heads + h) * hd, c = a + half;
                for (int i = 0; i < half; i++)
                {
                    float x0 = a[i], x1 = c[i], s = sign * sin[i];
                    a[i] = x0 * cos[i] - x1 * s;
                    c[i] = x0 * s + x1 * cos[i];
                }
            }
        }
    }
}
