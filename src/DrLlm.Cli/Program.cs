using System.CommandLine;

var root = new RootCommand("drllm: Dr.LLM dynamic layer routing, engine and tools");
return root.Parse(args).Invoke();
