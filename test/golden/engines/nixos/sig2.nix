# Signaling node sig2 (10.0.0.12) of cluster hpb, for nixpkgs' services.nextcloud-spreed-signaling.
# Rendered by spreed-setup GOLDEN (render --engine nixos): import it from configuration.nix.
# Secrets: the *File paths and secretFile name the cluster's bundle (/etc/spreed-setup/cluster-hpb, written by
# spreed-setup setup --cluster), the same files on every node; the module copies them into its
# stateDir at start (as its user, nextcloud-spreed-signaling: the files must be readable by it),
# never into the Nix store.
# The module writes backends as "urls": servers before 2.0.4 ignore it (the assertion below).
# configureNginx stays off: it would serve the server at the root of hostName; the front node's
# web server (spreed-setup setup --cluster) proxies every node instead.
{ config, lib, ... }:

{
  assertions = [
    {
      assertion = lib.versionAtLeast config.services.nextcloud-spreed-signaling.package.version "2.0.4";
      message = "services.nextcloud-spreed-signaling writes backends as \"urls\", which servers before 2.0.4 ignore (\"Backend ... is missing or incomplete\"): use a package of 2.0.4 or later.";
    }
  ];
  services.nextcloud-spreed-signaling = {
    enable = true;
    backends = {
      nextcloud = {
        urls = [
          "https://cloud.example.org"
        ];
        secretFile = "/etc/spreed-setup/cluster-hpb/backend-nextcloud";
      };
    };
    settings = {
      http = {
        listen = "10.0.0.12:8080";
      };
      sessions = {
        hashkeyFile = "/etc/spreed-setup/cluster-hpb/hashkey";
        blockkeyFile = "/etc/spreed-setup/cluster-hpb/blockkey";
      };
      clients = {
        internalsecretFile = "/etc/spreed-setup/cluster-hpb/internalsecret";
      };
      nats = {
        url = [
          "nats://10.0.0.11:4222"
          "nats://10.0.0.12:4222"
        ];
      };
      grpc = {
        listen = "10.0.0.12:9090";
        targets = [
          "10.0.0.11:9090"
          "10.0.0.12:9090"
        ];
      };
      mcu = {
        type = "proxy";
        urltype = "static";
        url = "http://10.0.0.21:9091";
        token_id = "sig2";
        token_key = "/etc/spreed-setup/cluster-hpb/tokens/sig2.key";
      };
    };
  };
  services.nats = {
    enable = true;
    serverName = "sig2";
    port = 4222;
    settings = {
      host = "10.0.0.12";
      http = "10.0.0.12:8222";
      cluster = {
        name = "hpb";
        listen = "10.0.0.12:6222";
        routes = [
          "nats://10.0.0.11:6222"
        ];
      };
    };
  };
  networking.firewall.allowedTCPPorts = [
    8080
    9090
    4222
    6222
  ];
}
