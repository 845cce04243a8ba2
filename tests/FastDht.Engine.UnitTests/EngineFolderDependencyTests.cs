using System.Reflection;
using System.Reflection.Emit;
using FastDht.Engine.Node;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The engine's folders (FastDht.Engine.X, its Internal folder counted with it) depend on each other without a cycle,
/// judged from the compiled code: every type a type names in its signatures, fields, locals and method bodies.
/// </summary>
public sealed class EngineFolderDependencyTests
{
    private static readonly Assembly Engine = typeof(DhtNode).Assembly;

    [Fact]
    public void No_folder_of_the_engine_depends_on_another_in_a_cycle()
    {
        var graph = FolderGraph(out var witnesses);
        var cycle = FindCycle(graph);
        if (cycle is not null)
        {
            var steps = new List<string>();
            for (var i = 0; i + 1 < cycle.Count; i++)
                steps.Add($"{cycle[i]} -> {cycle[i + 1]} (e.g. {witnesses[(cycle[i], cycle[i + 1])]})");
            Assert.Fail("folder dependency cycle: " + string.Join("; ", steps));
        }
    }

    [Fact]
    public void The_graph_sees_dependencies_in_method_bodies()
    {
        // The check must be able to fail: the node wires every folder, so Node depends on the others, some of
        // which it only names inside method bodies.
        var graph = FolderGraph(out _);
        Assert.Contains("Transactions", graph["Node"]);
        Assert.Contains("Keyspace", graph["Mesh"]);
        Assert.NotNull(FindCycle(new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"] }));
    }

    /// <summary>Folder -> folders it uses, with one type pair per edge to explain it.</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph(out Dictionary<(string, string), string> witnesses)
    {
        var graph = new Dictionary<string, HashSet<string>>();
        witnesses = [];
        foreach (var type in Engine.GetTypes())
        {
            var from = FolderOf(type);
            if (!graph.TryGetValue(from, out var edges))
                graph[from] = edges = [];
            foreach (var used in UsedTypes(type))
            {
                // Types of other assemblies, and the compiler's own (<PrivateImplementationDetails>: constant data).
                if (used.Assembly != Engine || used.Name.StartsWith('<'))
                    continue;
                var to = FolderOf(used);
                if (to == from || !edges.Add(to))
                    continue;
                witnesses[(from, to)] = $"{type.FullName} uses {used.FullName}";
            }
        }
        return graph;
    }

    private static string FolderOf(Type type)
    {
        var ns = type.Namespace ?? "";
        const string Root = "FastDht.Engine";
        if (ns == Root || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
            return "(root)";
        var rest = ns[(Root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.TryGetValue(node, out var edges) ? edges : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                    return [.. path.Skip(path.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                    return found;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
                return cycle;
        }
        return null;
    }

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static HashSet<Type> UsedTypes(Type type)
    {
        var used = new HashSet<Type>();
        Add(used, type.BaseType);
        foreach (var i in type.GetInterfaces())
            Add(used, i);
        foreach (var f in type.GetFields(Everything))
            Add(used, f.FieldType);
        foreach (var p in type.GetProperties(Everything))
            Add(used, p.PropertyType);
        foreach (var e in type.GetEvents(Everything))
            Add(used, e.EventHandlerType);
        foreach (var m in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (m is MethodInfo mi)
                Add(used, mi.ReturnType);
            foreach (var p in m.GetParameters())
                Add(used, p.ParameterType);
            AddBody(used, m);
        }
        return used;
    }

    private static void Add(HashSet<Type> used, Type? type)
    {
        if (type is null)
            return;
        if (type.HasElementType)
        {
            Add(used, type.GetElementType());
            return;
        }
        if (type.IsGenericParameter)
            return;
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var a in type.GetGenericArguments())
                Add(used, a);
            type = type.GetGenericTypeDefinition();
        }
        used.Add(type);
    }

    private static void AddBody(HashSet<Type> used, MethodBase method)
    {
        MethodBody? body;
        try
        {
            body = method.GetMethodBody();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            return;
        }
        if (body is null)
            return;
        foreach (var local in body.LocalVariables)
            Add(used, local.LocalType);
        var il = body.GetILAsByteArray() ?? [];
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            OpCode op;
            if (il[at] == 0xFE)
            {
                op = TwoByte[il[at + 1]];
                at += 2;
            }
            else
            {
                op = OneByte[il[at]];
                at += 1;
            }
            var size = OperandSize(op.OperandType, il, at);
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                var token = BitConverter.ToInt32(il, at);
                try
                {
                    switch (module.ResolveMember(token, typeArgs, methodArgs))
                    {
                        case Type t:
                            Add(used, t);
                            break;
                        case FieldInfo f:
                            Add(used, f.DeclaringType);
                            Add(used, f.FieldType);
                            break;
                        case MethodBase m:
                            Add(used, m.DeclaringType);
                            if (m is MethodInfo mi)
                            {
                                Add(used, mi.ReturnType);
                                if (mi.IsGenericMethod)
                                {
                                    foreach (var a in mi.GetGenericArguments())
                                        Add(used, a);
                                }
                            }
                            foreach (var p in m.GetParameters())
                                Add(used, p.ParameterType);
                            break;
                    }
                }
                catch (ArgumentException)
                {
                    // A token whose generic context this walk does not have; its declaring type is seen elsewhere.
                }
            }
            at += size;
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    static EngineFolderDependencyTests()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            var value = (ushort)op.Value;
            if (op.Size == 1)
                OneByte[value] = op;
            else
                TwoByte[value & 0xFF] = op;
        }
    }
}
