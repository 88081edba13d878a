using System.Text.Json;

namespace DrLlm.Routing.Routers;

/// <summary>JSON settings for router metadata and training state, and a reader whose errors name the file.</summary>
internal static class RouterJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A null where the record says a value belongs (an edited or damaged file) is a JSON error naming the path, not a
        // NullReferenceException wherever the field is first used.
        RespectNullableAnnotations = true,
    };

    public static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new Engine.Model.ModelFormatException($"{path}: empty JSON (null)");
        }
        catch (JsonException e)
        {
            throw new Engine.Model.ModelFormatException($"{path}: not valid {typeof(T).Name} JSON: {e.Message}", e);
        }
    }
}
