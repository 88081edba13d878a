using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;

namespace DrLlm.Routing.Tests.Routers;

public sealed class RouterCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("router-ckpt").FullName;
    private static readonly BaseModelIdentity Base = new("tiny", new string('a', 64), 32, 6);

    public void Dispose() => Directory.Delete(_dir, true);

    private static RouterMetadata Meta(RouterSet set) => new(Base, set.Dim, set.NumBlocks, set.Hidden, set.Windows,
        [0.9, 0.8, 1.3], [10, 100, 5], new RouterTrainingOptions { Epochs = 3 },
        [new EpochMetrics(1, 0.5, [1, 0.9, 0.2], 0.6, 0.9, 0.6, [0.5, 0.95, 0.1], new long[9])]);

    [Fact]
    public void Round_trip_keeps_every_weight_and_the_metadata()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16, windows: 8);
        set[3].Fc2Bias[2] = 0.25f;
        RouterCheckpoint.Save(_dir, set, Meta(set));
        var (loaded, meta) = RouterCheckpoint.Load(_dir, Base);
        Assert.Equal(set.Parameters, loaded.Parameters);
        Assert.Equal((6, 32, 16, 8), (loaded.NumBlocks, loaded.Dim, loaded.Hidden, loaded.Windows));
        Assert.Equal(Base, meta.BaseModel);
        Assert.Equal([0.9, 0.8, 1.3], meta.ClassWeights);
        Assert.Equal(3, meta.Training!.Epochs);
        Assert.Equal(0.9, meta.Metrics![0].ValidationAccuracy);
    }

    [Fact]
    public void The_decision_threshold_travels_with_the_checkpoint()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        Assert.Equal(0, RouterCheckpoint.Load(_dir).Routers.DecisionThreshold); // argmax unless told otherwise
        RouterCheckpoint.SetDecisionThreshold(_dir, 0.7);
        var (loaded, meta) = RouterCheckpoint.Load(_dir);
        Assert.Equal((0.7, 0.7), (loaded.DecisionThreshold, meta.DecisionThreshold));
        Assert.Equal(set.Parameters, loaded.Parameters);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => RouterCheckpoint.SetDecisionThreshold(_dir, 1.5)).Message);

        // A routers.json written before the threshold existed has no decision_threshold: plain argmax.
        var json = Path.Combine(_dir, RouterCheckpoint.MetadataFile);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.True(node.Remove("decision_threshold"));
        File.WriteAllText(json, node.ToJsonString());
        Assert.Equal(0, RouterCheckpoint.Load(_dir).Routers.DecisionThreshold);
    }

    [Fact]
    public void Input_scales_round_trip_and_a_file_without_them_loads_with_scale_one()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16, inputScales: [0.5f, 2f, 3f, 0.25f, 1f, 7f]);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        var (loaded, _) = RouterCheckpoint.Load(_dir, Base);
        Assert.Equal(set.InputScales, loaded.InputScales);

        // The four nn.Linear tensors per router alone (a checkpoint written before input scales existed).
        var tensors = Enumerable.Range(0, 6).SelectMany(l => new (string, long[], float[])[]
        {
            ($"routers.{l}.fc1.weight", [16, 32], set[l].Fc1Weight.ToArray()), ($"routers.{l}.fc1.bias", [16], set[l].Fc1Bias.ToArray()),
            ($"routers.{l}.fc2.weight", [3, 16], set[l].Fc2Weight.ToArray()), ($"routers.{l}.fc2.bias", [3], set[l].Fc2Bias.ToArray()),
        }).ToList();
        Engine.Formats.HfCheckpointWriter.WriteSafeTensors(Path.Combine(_dir, RouterCheckpoint.WeightsFile), tensors, Engine.Formats.TensorDType.F32);
        (loaded, _) = RouterCheckpoint.Load(_dir, Base);
        Assert.Equal(set.Parameters, loaded.Parameters);
        Assert.All(loaded.InputScales, s => Assert.Equal(1f, s));

        // A scale of 0 would erase the input: refused, naming the tensor.
        tensors.Add(("routers.0.input_scale", [1], [0f]));
        for (int l = 1; l < 6; l++) tensors.Add(($"routers.{l}.input_scale", [1], [1f]));
        Engine.Formats.HfCheckpointWriter.WriteSafeTensors(Path.Combine(_dir, RouterCheckpoint.WeightsFile), tensors, Engine.Formats.TensorDType.F32);
        var e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir, Base));
        Assert.Contains("routers.0.input_scale", e.Message);
    }

    [Fact]
    public void Another_base_model_is_refused_naming_both()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        var other = new BaseModelIdentity("other-model", new string('b', 64), 32, 6);
        var e = Assert.Throws<RouterMismatchException>(() => RouterCheckpoint.Load(_dir, other));
        Assert.Contains("tiny", e.Message);
        Assert.Contains("other-model", e.Message);
        Assert.Throws<RouterMismatchException>(() => RouterCheckpoint.Load(_dir, Base with { NumBlocks = 8 }));
        Assert.Throws<RouterMismatchException>(() => RouterCheckpoint.Load(_dir, Base with { HiddenSize = 64 }));
    }

    [Fact]
    public void Truncated_or_corrupt_files_give_clear_errors()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        string weights = Path.Combine(_dir, RouterCheckpoint.WeightsFile), json = Path.Combine(_dir, RouterCheckpoint.MetadataFile);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir));
        Assert.Contains(RouterCheckpoint.WeightsFile, e.Message);

        File.WriteAllBytes(weights, bytes);
        File.WriteAllText(json, "{ \"base_model\": ");
        e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir));
        Assert.Contains(RouterCheckpoint.MetadataFile, e.Message);

        File.WriteAllText(json, "{}");
        Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir));
        File.Delete(json);
        Assert.Throws<FileNotFoundException>(() => RouterCheckpoint.Load(_dir));
    }

    [Fact]
    public void Metadata_that_disagrees_with_the_weights_is_refused()
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set) with { RouterHidden = 16 });
        string json = Path.Combine(_dir, RouterCheckpoint.MetadataFile);
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"router_hidden\": 16", "\"router_hidden\": 8"));
        var e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir));
        Assert.Contains("shape", e.Message);
    }

    [Theory]
    [InlineData("\"hidden_size\": 32", "\"hidden_size\": 2000000000")]
    [InlineData("\"router_hidden\": 16", "\"router_hidden\": 2147483647")]
    [InlineData("\"num_blocks\": 6", "\"num_blocks\": 2147483647")]
    public void Absurd_sizes_in_the_metadata_are_refused_before_anything_is_allocated(string field, string absurd)
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        string json = Path.Combine(_dir, RouterCheckpoint.MetadataFile);
        var text = File.ReadAllText(json);
        Assert.Contains(field, text);
        File.WriteAllText(json, text.Replace(field, absurd));
        var e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir));
        Assert.Contains($"{json}: num_blocks", e.Message);
        Assert.Contains("router weights; ", e.Message);
    }

    [Theory]
    [InlineData("\"sha256\": \"aaaa", "\"sha256\": null, \"x\": \"aaaa", "'Sha256'")]
    [InlineData("\"metrics\": [", "\"metrics\": [null, ", "metrics holds a null entry")]
    public void Nulls_in_the_metadata_are_named_not_a_null_reference_later(string field, string edited, string expected)
    {
        var set = RouterSet.Create(6, 32, seed: 4, hidden: 16);
        RouterCheckpoint.Save(_dir, set, Meta(set));
        string json = Path.Combine(_dir, RouterCheckpoint.MetadataFile);
        var text = File.ReadAllText(json);
        Assert.Contains(field, text);
        File.WriteAllText(json, text.Replace(field, edited));
        var e = Assert.Throws<ModelFormatException>(() => RouterCheckpoint.Load(_dir, Base));
        Assert.StartsWith(json, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Base_model_identity_is_the_sha256_of_the_weights()
    {
        string file = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(file, "abc");
        var id = BaseModelIdentity.Of(file, TinyModel.Config);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", id.Sha256);
        Assert.Equal(("model.safetensors", 32, 6), (id.Name, id.HiddenSize, id.NumBlocks));
        var fromDir = BaseModelIdentity.Of(_dir, TinyModel.Config); // one weights file in the directory: the same hash
        Assert.Equal(id.Sha256, fromDir.Sha256);
        File.WriteAllText(Path.Combine(_dir, "model-00002.safetensors"), "def");
        Assert.NotEqual(id.Sha256, BaseModelIdentity.Of(_dir, TinyModel.Config).Sha256);
    }
}
