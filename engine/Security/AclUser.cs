namespace FastDht.Engine.Security;

/// <summary>A named user of a node; its rules can change while sessions are authenticated as it (ACL SETUSER), and apply to them at once.</summary>
public sealed class AclUser
{
    private AclPermissions _permissions;

    internal AclUser(string name, AclPermissions permissions)
    {
        Name = name;
        _permissions = permissions;
    }

    public string Name { get; }

    /// <summary>The rules now in force; read once per request.</summary>
    public AclPermissions Permissions => Volatile.Read(ref _permissions);

    /// <summary>Whether the user was deleted (ACL DELUSER): its sessions are no longer authenticated.</summary>
    public bool IsDeleted { get; private set; }

    internal void Replace(AclPermissions permissions) => Volatile.Write(ref _permissions, permissions);

    internal void MarkDeleted()
    {
        IsDeleted = true;
        Replace(AclPermissions.None);
    }
}
