namespace DrLlm.Engine.Text;

public sealed class ChatTemplate
{
    public static ChatTemplate? Find(string path) => null;
}
