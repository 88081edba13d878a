using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests;

public class LayerPathTests
{
    [Fact]
    public void Default_path_runs_every_block_once()
    {
        var p = LayerPath.Default(4);
        Assert.Equal([0, 1, 2, 3], p.Steps);
        Assert.Equal([1, 1, 1, 1], p.BlockCounts());
    }

    [Fact]
    public void Skip_and_repeat_give_router_labels()
    {
        var p = LayerPath.Parse("0,1,1,3", 4);
        Assert.Equal([1, 2, 0, 1], p.BlockCounts());
        Assert.Equal(2, p.CommonPrefixLength(LayerPath.Parse("0 1 2 3", 4)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0,4", "step 1 is block 4")]
    [InlineData("0,2,1", "goes back")]
    [InlineData("0,0,0", "more than twice")]
    [InlineData("0,x", "not an integer")]
    [InlineData("-1", "step 0 is block -1")]
    public void Invalid_paths_name_the_problem(string text, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPath.Parse(text, 4));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Path_longer_than_twice_the_blocks_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPath.Create([0, 0, 1, 1, 1], 2));
        Assert.Contains("at most 2L", ex.Message);
    }
}
