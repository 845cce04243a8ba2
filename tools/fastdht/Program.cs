using FastDht.Tools.Shell;

var parse = ShellCommands.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    // One line per problem and a distinct exit code, so a script can tell a typo from a missing key (exit 1).
    foreach (var error in parse.Errors)
        await Console.Error.WriteLineAsync($"fastdht: {error.Message} (see fastdht --help)").ConfigureAwait(false);
    return ShellCommands.Failure;
}
return await parse.InvokeAsync().ConfigureAwait(false);
