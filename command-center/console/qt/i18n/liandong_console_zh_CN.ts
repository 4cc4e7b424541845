<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AgencyView</name>
    <message>
        <location filename="../qml/AgencyView.qml" line="15"/>
        <source>dispatched</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="15"/>
        <source>acknowledged</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="15"/>
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="16"/>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="16"/>
        <source>cancelled</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="27"/>
        <source>Our tasks (%1) · agency %2</source>
        <translation>本单位任务（%1）· 单位 %2</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="32"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="55"/>
        <source>acknowledge by %1</source>
        <translation>签收时限 %1</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="61"/>
        <source>Acknowledge</source>
        <translation>签收</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="66"/>
        <source>Progress 50%</source>
        <translation>进度 50%</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="68"/>
        <source>on the way</source>
        <translation>正在赶往现场</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="71"/>
        <source>Complete</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="73"/>
        <source>done</source>
        <translation>已处置完毕</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="81"/>
        <source>No open tasks</source>
        <translation>暂无待办任务</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="90"/>
        <source>Raise an incident</source>
        <translation>上报事件</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="94"/>
        <source>flood</source>
        <translation>洪涝</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="94"/>
        <source>fire</source>
        <translation>火灾</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="94"/>
        <source>public security</source>
        <translation>治安</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="94"/>
        <source>rental housing</source>
        <translation>出租屋</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="94"/>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="96"/>
        <source>what happened</source>
        <translation>事件概述</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="97"/>
        <source>details</source>
        <translation>详细情况</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="99"/>
        <source>level</source>
        <translation>级别</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="101"/>
        <source>colour</source>
        <translation>预警颜色</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="102"/>
        <source>red</source>
        <translation>红色</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="102"/>
        <source>orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="102"/>
        <source>yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="102"/>
        <source>blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="105"/>
        <source>latitude</source>
        <translation>纬度</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="107"/>
        <source>longitude</source>
        <translation>经度</translation>
    </message>
    <message>
        <location filename="../qml/AgencyView.qml" line="112"/>
        <source>Report the incident</source>
        <translation>上报</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="317"/>
        <source>Incident queue (%1 of %2)</source>
        <translation>事件队列（%1 / %2）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="329"/>
        <source>all levels</source>
        <translation>全部级别</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="329"/>
        <source>Ⅱ and above</source>
        <translation>Ⅱ级及以上</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="329"/>
        <source>Ⅲ and above</source>
        <translation>Ⅲ级及以上</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>all types</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>flood</source>
        <translation>洪涝</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>typhoon</source>
        <translation>台风</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>fire</source>
        <translation>火灾</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>public security</source>
        <translation>治安</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>rental housing</source>
        <translation>出租屋</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="336"/>
        <source>equipment</source>
        <translation>设备故障</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="341"/>
        <source>search title</source>
        <translation>搜索标题</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="611"/>
        <source>tasked</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="19"/>
        <location filename="../qml/Main.qml" line="120"/>
        <source>Liandong command console</source>
        <translation>联动指挥控制台</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="51"/>
        <source>Recording: %1 · %2</source>
        <translation>录像：%1 · %2</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="52"/>
        <source>Recording: %1 · end of the recording</source>
        <translation>录像：%1 · 录像已播完</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="53"/>
        <source>Recording: %1 from %2 · segment %3/%4, %5–%6, %7 s in</source>
        <translation>录像：%1 自 %2 起 · 第 %3/%4 段，%5–%6，第 %7 秒</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="79"/>
        <source>red</source>
        <translation>红色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="79"/>
        <source>orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="79"/>
        <source>yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="79"/>
        <source>blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="79"/>
        <source>no colour</source>
        <translation>无颜色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="82"/>
        <source>reported</source>
        <translation>已上报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="82"/>
        <source>verified</source>
        <translation>已核实</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="82"/>
        <source>responding</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="83"/>
        <source>contained</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="83"/>
        <location filename="../qml/Main.qml" line="345"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="86"/>
        <source>Ⅰ (particularly serious)</source>
        <translation>Ⅰ级（特别重大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="86"/>
        <source>Ⅱ (serious)</source>
        <translation>Ⅱ级（重大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="86"/>
        <source>Ⅲ (major)</source>
        <translation>Ⅲ级（较大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="87"/>
        <source>Ⅳ (general)</source>
        <translation>Ⅳ级（一般）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="90"/>
        <source>state</source>
        <translation>国家</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="90"/>
        <source>province</source>
        <translation>省级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="90"/>
        <source>city</source>
        <translation>市级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="90"/>
        <source>county</source>
        <translation>县级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="91"/>
        <source>town</source>
        <translation>镇街</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="94"/>
        <source>dispatched</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="94"/>
        <source>acknowledged</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="94"/>
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="95"/>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="95"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="98"/>
        <location filename="../qml/Main.qml" line="631"/>
        <source>first report</source>
        <translation>首报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="98"/>
        <location filename="../qml/Main.qml" line="631"/>
        <source>follow-up report</source>
        <translation>续报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="98"/>
        <location filename="../qml/Main.qml" line="631"/>
        <source>final report</source>
        <translation>终报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="128"/>
        <source>duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="128"/>
        <source>agency</source>
        <translation>处置单位</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="128"/>
        <source>leader</source>
        <translation>领导</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="137"/>
        <source>linked to the centre</source>
        <translation>与中心连接正常</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="137"/>
        <source>link to the centre is down</source>
        <translation>与中心连接中断</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="138"/>
        <source>resynced %1×</source>
        <translation>已重新同步 %1 次</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="142"/>
        <source>signed in: %1 (%2)</source>
        <translation>已登录：%1（%2）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="143"/>
        <source>not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="160"/>
        <source>working… </source>
        <translation>处理中… </translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="180"/>
        <source>The link to the centre is down since %1: what you see may be old. Reconnecting by itself…</source>
        <translation>自 %1 起与指挥中心的连接中断：画面上的信息可能已过时。正在自动重连…</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="203"/>
        <source>New incident, level %1: %2</source>
        <translation>新事件，%1级：%2</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="206"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="214"/>
        <source>Dismiss</source>
        <translation>知道了</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="251"/>
        <source>Region summary</source>
        <translation>辖区概况</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="252"/>
        <source>open incidents: %1</source>
        <translation>未结事件：%1</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="263"/>
        <source>level %1: %2</source>
        <translation>%1级：%2</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="266"/>
        <source>cameras live / down: %1 / %2</source>
        <translation>摄像机 在线 / 异常：%1 / %2</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="316"/>
        <source>Incident queue (%1)</source>
        <translation>事件队列（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="406"/>
        <source>led by %1</source>
        <translation>%1牵头</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="417"/>
        <source>No incidents</source>
        <translation>暂无事件</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="472"/>
        <source>zoom %1 · drag to pan, wheel to zoom</source>
        <translation>缩放 %1 · 拖动平移，滚轮缩放</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="497"/>
        <source>Live: %1</source>
        <translation>实时视频：%1</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="500"/>
        <source>⏪ 30 s</source>
        <translation>⏪ 30 秒</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="504"/>
        <source>30 s ⏩</source>
        <translation>30 秒 ⏩</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="507"/>
        <source>Snapshot</source>
        <translation>抓拍</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="566"/>
        <source>State: %1 · level %2 · %3 · led by %4 · version %5</source>
        <translation>状态：%1 · 响应级别 %2 · %3 · %4牵头 · 版本 %5</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="578"/>
        <source>Actions</source>
        <translation>处置操作</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="582"/>
        <source>Verify</source>
        <translation>核实</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="583"/>
        <source>Respond</source>
        <translation>启动响应</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="584"/>
        <source>Contain</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="585"/>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="589"/>
        <source>note for the timeline</source>
        <translation>写入时间线的备注</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="590"/>
        <source>Add note</source>
        <translation>添加备注</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="594"/>
        <source>reason (for close and level)</source>
        <translation>原因（关闭和调级时必填）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="595"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="600"/>
        <source>Set level</source>
        <translation>调整级别</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="624"/>
        <source>agency ids, e.g. py-flood</source>
        <translation>单位编号，如 py-flood</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="625"/>
        <source>task</source>
        <translation>任务内容</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="626"/>
        <source>Dispatch</source>
        <translation>派发任务</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="630"/>
        <source>situation report text</source>
        <translation>信息报告内容</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="632"/>
        <source>Submit</source>
        <translation>报送</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="635"/>
        <source>Cameras that see it (%1)</source>
        <translation>可见现场的摄像机（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="645"/>
        <source>Live video</source>
        <translation>实时视频</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="650"/>
        <source>Recording</source>
        <translation>录像</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="656"/>
        <source>%1 m</source>
        <translation>%1 米</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="657"/>
        <source>nearest, not seeing it</source>
        <translation>最近的摄像机，未覆盖现场</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="667"/>
        <source>live</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="667"/>
        <source>stale</source>
        <translation>画面停滞</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="667"/>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="668"/>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="668"/>
        <source>on demand</source>
        <translation>按需</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="668"/>
        <source>no status</source>
        <translation>无状态</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="673"/>
        <source>Linked alerts (%1)</source>
        <translation>关联告警（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="694"/>
        <source>camera %1</source>
        <translation>摄像机 %1</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="694"/>
        <source>sensor %1</source>
        <translation>传感器 %1</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="697"/>
        <source>level %1</source>
        <translation>级别 %1</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="698"/>
        <source>cleared</source>
        <translation>已解除</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="703"/>
        <source>SOP steps (%1)</source>
        <translation>处置预案步骤（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="714"/>
        <source>done %1 by %2</source>
        <translation>%2 于 %1 完成</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="719"/>
        <source>Tasks (%1)</source>
        <translation>任务（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="727"/>
        <source>ack by %1</source>
        <translation>%1 前签收</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="729"/>
        <source>notified %1, seen %2</source>
        <translation>%1 已通知，%2 已查看</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="729"/>
        <source>not yet</source>
        <translation>未查看</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="733"/>
        <source>Situation reports</source>
        <translation>信息报告</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="742"/>
        <source>submitted %1 by %2: %3</source>
        <translation>%1 由 %2 报送：%3</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="743"/>
        <source>due %1</source>
        <translation>%1 前报送</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="743"/>
        <source>overdue</source>
        <translation>已超时</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="746"/>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
</context>
<context>
    <name>SensorChart</name>
    <message>
        <location filename="../qml/SensorChart.qml" line="65"/>
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="72"/>
        <source>Rainfall: 1 h %1 mm · 3 h %2 mm · 24 h %3 mm</source>
        <translation>雨量：1小时 %1 毫米 · 3小时 %2 毫米 · 24小时 %3 毫米</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="78"/>
        <source>Warning level (警戒) %1 · guaranteed level (保证) %2</source>
        <translation>警戒水位 %1 · 保证水位 %2</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="93"/>
        <source>rainfall</source>
        <translation>雨量</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="93"/>
        <source>reading</source>
        <translation>实测值</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="101"/>
        <source>warning level (警戒)</source>
        <translation>警戒水位</translation>
    </message>
    <message>
        <location filename="../qml/SensorChart.qml" line="110"/>
        <source>guaranteed level (保证)</source>
        <translation>保证水位</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <location filename="../timeline_text.cpp" line="34"/>
        <source>province</source>
        <translation>省级</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="35"/>
        <source>city</source>
        <translation>市级</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="36"/>
        <source>county</source>
        <translation>县级</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="37"/>
        <source>town</source>
        <translation>镇街</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="38"/>
        <source>flood</source>
        <translation>洪涝</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="39"/>
        <source>typhoon</source>
        <translation>台风</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="40"/>
        <source>fire</source>
        <translation>火灾</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="41"/>
        <source>public security</source>
        <translation>治安</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="42"/>
        <source>rental housing</source>
        <translation>出租屋</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="43"/>
        <source>equipment</source>
        <translation>设备故障</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="21"/>
        <source>reported</source>
        <translation>已上报</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="22"/>
        <source>verified</source>
        <translation>已核实</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="23"/>
        <source>responding</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="24"/>
        <source>contained</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="25"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="26"/>
        <source>dispatched</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="27"/>
        <source>acknowledged</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="28"/>
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="29"/>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="30"/>
        <source>cancelled</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="31"/>
        <source>first report</source>
        <translation>首报</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="32"/>
        <source>follow-up report</source>
        <translation>续报</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="33"/>
        <source>final report</source>
        <translation>终报</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="74"/>
        <source>opened: %1 (%2, level %3, led by the %4 centre), %5 camera(s) linked</source>
        <translation>立案：%1（%2，%3级，由%4中心牵头），关联摄像机 %5 路</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="77"/>
        <source>, with a photo</source>
        <translation>，附照片</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="81"/>
        <source>plan for %1 applied: %2 step(s), %3 task(s)</source>
        <translation>已启用%1预案：%2 个步骤，%3 项任务</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="84"/>
        <source>tasked %1: %2 (acknowledge within %3 min)</source>
        <translation>派发给%1：%2（%3 分钟内签收）</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="87"/>
        <source>task %1 (%2) not acknowledged in time; escalated to %3</source>
        <translation>任务 %1（%2）未按时签收，已上报%3</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="90"/>
        <source>task %1 (%2): %3 → %4</source>
        <translation>任务 %1（%2）：%3 → %4</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="97"/>
        <source>%1 #%2 submitted: %3</source>
        <translation>%1 第%2份已报送：%3</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="99"/>
        <source>%1 #%2 overdue</source>
        <translation>%1 第%2份已超时</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="101"/>
        <source>alert linked: %1</source>
        <translation>关联告警：%1</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="103"/>
        <source>alert cleared: %1</source>
        <translation>告警解除：%1</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="105"/>
        <source>alert escalated (%1): %2</source>
        <translation>告警升级（%1）：%2</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="107"/>
        <source>from the %1 centre: %2 (version %3)</source>
        <translation>来自%1中心：%2（版本 %3）</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="109"/>
        <source>note: %1</source>
        <translation>备注：%1</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="111"/>
        <source>level %1 → %2, led by the %3 centre: %4</source>
        <translation>级别 %1 → %2，由%3中心牵头：%4</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="114"/>
        <source>plan step %1 done: %2</source>
        <translation>预案步骤 %1 已完成：%2</translation>
    </message>
    <message>
        <location filename="../timeline_text.cpp" line="117"/>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <location filename="../qml/VideoTile.qml" line="26"/>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location filename="../qml/VideoTile.qml" line="27"/>
        <source>stale</source>
        <translation>画面停滞</translation>
    </message>
    <message>
        <location filename="../qml/VideoTile.qml" line="28"/>
        <source>no video address</source>
        <translation>无视频地址</translation>
    </message>
    <message>
        <location filename="../qml/VideoTile.qml" line="29"/>
        <source>no video</source>
        <translation>无视频</translation>
    </message>
    <message>
        <location filename="../qml/VideoTile.qml" line="30"/>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location filename="../qml/VideoTile.qml" line="58"/>
        <source>no camera</source>
        <translation>无摄像机</translation>
    </message>
</context>
<context>
    <name>VideoWall</name>
    <message>
        <location filename="../qml/VideoWall.qml" line="107"/>
        <source>main</source>
        <translation>主画面</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="111"/>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="117"/>
        <source>Stop tour</source>
        <translation>停止轮巡</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="117"/>
        <source>Tour (%1 s)</source>
        <translation>轮巡（%1 秒）</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="122"/>
        <source>page %1/%2</source>
        <translation>第 %1/%2 页</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="130"/>
        <source>presets</source>
        <translation>预案布局</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="134"/>
        <source>preset name</source>
        <translation>布局名称</translation>
    </message>
    <message>
        <location filename="../qml/VideoWall.qml" line="136"/>
        <source>Save preset</source>
        <translation>保存布局</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <location filename="../qml/WallWindow.qml" line="13"/>
        <source>Liandong video wall %1</source>
        <translation>联动视频墙 %1</translation>
    </message>
</context>
<context>
    <name>liandong::console::AgencyTasks</name>
    <message>
        <location filename="../agency_tasks.cpp" line="83"/>
        <source>incident reported: %1</source>
        <translation>事件已上报：%1</translation>
    </message>
</context>
<context>
    <name>liandong::console::Backend</name>
    <message>
        <location filename="../backend.cpp" line="314"/>
        <source>snapshot failed</source>
        <translation>抓拍失败</translation>
    </message>
    <message>
        <location filename="../backend.cpp" line="319"/>
        <source>snapshot saved: %1</source>
        <translation>抓拍已保存：%1</translation>
    </message>
</context>
<context>
    <name>liandong::console::CentreCalls</name>
    <message>
        <location filename="../centre_calls.cpp" line="112"/>
        <source>%1 failed: %2</source>
        <translation>%1失败：%2</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="128"/>
        <source>Sign-in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="129"/>
        <source>Sensor chart</source>
        <translation>传感器曲线</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="130"/>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="131"/>
        <source>Linked alerts</source>
        <translation>关联告警</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="132"/>
        <source>Agencies</source>
        <translation>处置单位</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="133"/>
        <source>Recordings</source>
        <translation>录像</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="134"/>
        <source>Alarm cameras</source>
        <translation>告警摄像机</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="135"/>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="136"/>
        <source>Raise incident</source>
        <translation>上报事件</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="137"/>
        <source>Verify</source>
        <translation>核实</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="138"/>
        <source>Respond</source>
        <translation>启动响应</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="139"/>
        <source>Contain</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="140"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="141"/>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="142"/>
        <source>Add note</source>
        <translation>添加备注</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="143"/>
        <source>Set level</source>
        <translation>调整级别</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="144"/>
        <source>SOP step done</source>
        <translation>预案步骤完成</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="145"/>
        <source>Dispatch</source>
        <translation>派发任务</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="146"/>
        <source>First report</source>
        <translation>首报</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="147"/>
        <source>Follow-up report</source>
        <translation>续报</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="148"/>
        <source>Final report</source>
        <translation>终报</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="149"/>
        <source>Acknowledge task</source>
        <translation>签收任务</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="150"/>
        <source>Task progress</source>
        <translation>任务进展</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="151"/>
        <source>Complete task</source>
        <translation>完成任务</translation>
    </message>
    <message>
        <location filename="../centre_calls.cpp" line="152"/>
        <source>Cancel task</source>
        <translation>取消任务</translation>
    </message>
</context>
<context>
    <name>liandong::console::Recordings</name>
    <message>
        <location filename="../recordings.cpp" line="54"/>
        <source>no recording of this camera from %1</source>
        <translation>该摄像机自 %1 起无录像</translation>
    </message>
    <message>
        <location filename="../recordings.cpp" line="58"/>
        <source>no node address for camera %1</source>
        <translation>摄像机 %1 没有节点地址</translation>
    </message>
</context>
<context>
    <name>liandong::console::VideoPlayer</name>
    <message>
        <location filename="../video_player.cpp" line="126"/>
        <source>no video pipeline: %1</source>
        <translation>无法建立视频管道：%1</translation>
    </message>
</context>
<context>
    <name>liandong::console::WallControl</name>
    <message>
        <location filename="../wall_control.cpp" line="80"/>
        <source>cannot save the preset</source>
        <translation>无法保存布局</translation>
    </message>
</context>
</TS>
