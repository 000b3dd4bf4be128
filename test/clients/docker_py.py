"""docker-py (Debian's python3-docker) against a weft daemon: one check per argument.

Usage: docker_py.py CHECK, with DOCKER_HOST=unix://<socket>. Run inside the daemon's
network namespace, so published ports are reached on its loopback. Each check asserts
what dockerd would answer and prints "ok CHECK" last; any failure exits non-zero.
"""
import sys
import time
import urllib.request

import docker

client = docker.from_env(version='auto', timeout=60)
api = client.api


def wait_running(c, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        c.reload()
        if c.status == 'running':
            return
        time.sleep(0.1)
    raise AssertionError(f'{c.name} is {c.status}')


def check_run_foreground():
    # containers.run() waits, then reads the logs: it needs HostConfig.LogConfig.
    out = client.containers.run('busybox', ['echo', 'hello from weft'], remove=True)
    assert out == b'hello from weft\n', out


def check_inspect_fields():
    hc = api.create_host_config(
        mem_limit='8m', cpu_shares=512, isolation='default', device_cgroup_rules=['c 7:128 rwm'],
        log_config=docker.types.LogConfig(type='json-file', config={'max-file': '3'}), dns=['10.9.9.9'])
    cid = api.create_container('busybox', ['true'], host_config=hc, stop_timeout=25, stdin_open=True)['Id']
    try:
        info = api.inspect_container(cid)
        h, c = info['HostConfig'], info['Config']
        assert h['Memory'] == 8 * 1024 * 1024, h['Memory']
        assert h['CpuShares'] == 512 and h['Isolation'] == 'default', h
        assert h['DeviceCgroupRules'] == ['c 7:128 rwm'], h['DeviceCgroupRules']
        assert h['LogConfig'] == {'Type': 'json-file', 'Config': {'max-file': '3'}}, h['LogConfig']
        assert h['Dns'] == ['10.9.9.9'], h['Dns']
        assert c['StopTimeout'] == 25 and c['OpenStdin'] is True, c
    finally:
        api.remove_container(cid, force=True)
    cid = api.create_container('busybox', ['true'])['Id']
    try:
        h = api.inspect_container(cid)['HostConfig']
        assert h['LogConfig'] == {'Type': 'json-file', 'Config': {}}, h['LogConfig']
        assert (h['Memory'], h['PidMode'], h['UTSMode'], h['Runtime']) == (0, '', '', 'runc'), h
        assert not h.get('Init'), h.get('Init')
    finally:
        api.remove_container(cid, force=True)


def expect_api_error(status, message, fn):
    try:
        fn()
    except docker.errors.APIError as e:
        assert e.status_code == status, (e.status_code, e.explanation)
        assert e.explanation == message, e.explanation
        return
    raise AssertionError(f'no error, expected {status} {message!r}')


def check_refusals():
    before = len(api.containers(all=True))
    lc = docker.types.LogConfig(type='asdf', config={})
    expect_api_error(400, "logger: no log driver named 'asdf' is registered",
                     lambda: api.create_container('busybox', ['true'], host_config=api.create_host_config(log_config=lc)))
    expect_api_error(400, 'weft shares only the host\'s pid namespace: pid mode "container:x" is not supported',
                     lambda: api.create_container('busybox', ['true'], host_config=api.create_host_config(pid_mode='container:x')))
    expect_api_error(400, 'weft does not drop capabilities (--cap-drop): container processes keep root\'s',
                     lambda: api.create_container('busybox', ['true'], host_config=api.create_host_config(cap_drop=['ALL'])))
    assert len(api.containers(all=True)) == before


def check_swarm_and_unknown():
    # docker-py takes dockerd's 503 "not part of a swarm" as a successful leave.
    assert client.swarm.leave(force=True) is True
    expect_api_error(503, 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node '
                     'to swarm and try again.', api.inspect_swarm)
    expect_api_error(503, 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node '
                     'to swarm and try again.', client.services.list)
    expect_api_error(404, 'page not found', lambda: api._result(api._get(api._url('/no/such/endpoint')), True))


def check_network_traffic():
    net = client.networks.create('pyc net 1', ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet='10.231.0.0/24')]))
    srv = cli = None
    try:
        assert client.networks.get('pyc net 1').name == 'pyc net 1'
        ep = api.create_endpoint_config(aliases=['web'], ipv4_address='10.231.0.10', link_local_ips=['169.254.7.7'],
                                        driver_opt={'com.example.opt': 'v'})
        srv = api.create_container(
            'busybox', ['sh', '-c', 'mkdir -p /www && echo served-by-weft > /www/index.html && exec httpd -f -p 80 -h /www'],
            host_config=api.create_host_config(network_mode='pyc net 1'),
            networking_config=api.create_networking_config({'pyc net 1': ep}))['Id']
        api.start(srv)
        s = api.inspect_container(srv)['NetworkSettings']['Networks']['pyc net 1']
        assert s['IPAddress'] == '10.231.0.10', s
        assert s['IPAMConfig'] == {'IPv4Address': '10.231.0.10', 'IPv6Address': '', 'LinkLocalIPs': ['169.254.7.7']}, s
        assert s['Aliases'] == ['web'] and s['DriverOpts'] == {'com.example.opt': 'v'}, s
        cli = client.containers.run('busybox', ['sh', '-c', 'for i in 1 2 3 4 5; do timeout 3 wget -qO- http://web/ && exit 0; '
                                    'sleep 0.5; done; exit 1'], network='pyc net 1', detach=True)
        assert cli.wait(timeout=30)['StatusCode'] == 0, cli.logs()
        assert cli.logs() == b'served-by-weft\n', cli.logs()
    finally:
        for c in (cli and cli.id, srv):
            if c:
                api.remove_container(c, force=True)
        net.remove()


def check_connect_fields():
    net = client.networks.create('pyc-connect', ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet='10.232.0.0/24')]))
    c = client.containers.create('busybox', ['sleep', '60'])
    try:
        net.connect(c, aliases=['al1'], ipv4_address='10.232.0.7', links=[(c.name, 'self')], link_local_ips=['169.254.8.8'])
        s = api.inspect_container(c.id)['NetworkSettings']['Networks']['pyc-connect']
        assert s['Aliases'] == ['al1'], s
        assert s['Links'] == [f'{c.name}:self'], s['Links']
        assert s['IPAMConfig']['IPv4Address'] == '10.232.0.7' and s['IPAMConfig']['LinkLocalIPs'] == ['169.254.8.8'], s
        c.start()
        wait_running(c)
        assert api.inspect_container(c.id)['NetworkSettings']['Networks']['pyc-connect']['IPAddress'] == '10.232.0.7'
        net.reload()
        assert c.id in [x.id for x in net.containers]
        net.disconnect(c, force=True)
        assert 'pyc-connect' not in api.inspect_container(c.id)['NetworkSettings']['Networks']
    finally:
        c.remove(force=True)
        net.remove()


def check_ipv6_subnet_without_ipv6():
    # As dockerd: the IPv6 config is kept and listed, nothing is allocated from it.
    net = client.networks.create('pyc-v6off', ipam=docker.types.IPAMConfig(pool_configs=[
        docker.types.IPAMPool(subnet='10.234.0.0/24'), docker.types.IPAMPool(subnet='fd00:234::/64')]))
    try:
        n = api.inspect_network(net.id)
        assert n['EnableIPv6'] is False and n['IPAM']['Options'] is None, n
        assert [c['Subnet'] for c in n['IPAM']['Config']] == ['10.234.0.0/24', 'fd00:234::/64'], n['IPAM']
        ep = api.create_endpoint_config(ipv6_address='fd00:234::9')
        c = api.create_container('busybox', ['sleep', '30'], host_config=api.create_host_config(network_mode='pyc-v6off'),
                                 networking_config=api.create_networking_config({'pyc-v6off': ep}))['Id']
        try:
            api.start(c)
            s = api.inspect_container(c)['NetworkSettings']['Networks']['pyc-v6off']
            assert s['IPAMConfig']['IPv6Address'] == 'fd00:234::9' and s['GlobalIPv6Address'] == '', s
            assert s['IPAddress'].startswith('10.234.0.'), s
        finally:
            api.remove_container(c, force=True)
    finally:
        net.remove()


def check_ports_and_exec():
    c = client.containers.run(
        'busybox', ['sh', '-c', 'mkdir -p /www && echo port-ok > /www/index.html && exec httpd -f -p 8000 -h /www'],
        ports={'8000/tcp': ('127.0.0.1', None)}, detach=True, stdin_open=True)
    try:
        wait_running(c)
        host_port = api.port(c.id, 8000)[0]['HostPort']
        body = None
        for _ in range(20):
            try:
                body = urllib.request.urlopen(f'http://127.0.0.1:{host_port}/', timeout=3).read()
                break
            except OSError:
                time.sleep(0.2)
        assert body == b'port-ok\n', body
        r = c.exec_run(['sh', '-c', 'echo out; echo err >&2; exit 3'], demux=True)
        assert r.exit_code == 3 and r.output == (b'out\n', b'err\n'), r
    finally:
        c.remove(force=True)


CHECKS = {name[len('check_'):]: fn for name, fn in globals().items() if name.startswith('check_')}

if __name__ == '__main__':
    name = sys.argv[1]
    CHECKS[name]()
    print(f'ok {name}')
